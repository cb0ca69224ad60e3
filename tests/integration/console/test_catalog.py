"""The catalog and product views in Chromium: sign in, create a product with three photos
and watch its cards go from placeholder to loaded renditions without a reload, a product
made elsewhere appear from the stream, and the product view's byte figures; screenshots of
both views go to docs/screenshots/."""

from __future__ import annotations

import math
import re

import requests

from tests.integration.console.conftest import screenshot, sign_in
from tests.support.photos import PHOTOS
from tests.support.processes import wait_for

PHOTO_NAMES = ("chelsea.png", "coffee.png", "rocket.jpg")
LOADED = "figure.shot[data-loaded=true]"


def add_photos(images, names=PHOTO_NAMES) -> list[str]:
    return [images.add(name, (PHOTOS / name).read_bytes()) for name in names]


def card(page, product_id: int):
    return page.locator(f"li.card[data-product-id='{product_id}']")


def test_a_new_products_cards_go_from_placeholder_to_loaded_images(
        signed_in, images, worker, pipeline_settings, tmp_path):
    console, account, watched, page = (signed_in.console, signed_in.account,
                                       signed_in.watched, signed_in.page)
    urls = add_photos(images)
    # The renditions are held back until the placeholders have been seen, so the order the
    # person sees (placeholder first) is checked, not raced.
    held, released = [], []

    def hold(route) -> None:  # noqa: ANN001 - a playwright Route
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(re.escape(pipeline_settings.s3_public_url) + "/.*"), hold)
    page.evaluate("window.notReloaded = true")

    page.fill("#create [name=name]", "Desk lamp")
    page.fill("#create [name=price]", "49.90")
    page.fill("#create [name=images]", "\n".join(urls))
    page.click("#create button[type=submit]")

    page.wait_for_selector("#create-message:has-text('Created product')")
    product_id = int(page.locator("li.card").first.get_attribute("data-product-id"))
    shots = card(page, product_id).locator("figure.shot")
    # Every image ready (from the stream), each painted from its BlurHash at its own shape.
    wait_for(lambda: shots.count() == 3 and card(page, product_id).locator(
        "figure.shot[data-placeholder=painted]").count() == 3, timeout=90,
        message="three painted placeholders")
    product = console.product(product_id)
    for index, image in enumerate(product["images"]):
        placeholder = shots.nth(index).locator("img.placeholder")
        assert placeholder.get_attribute("src").startswith("data:image/png;base64,")
        assert placeholder.get_attribute("width") == str(image["width"])
        assert placeholder.get_attribute("height") == str(image["height"])
        assert placeholder.is_visible()
        sources = shots.nth(index).locator("picture source")
        assert [sources.nth(n).get_attribute("type") for n in range(sources.count())] == [
            "image/avif", "image/webp"]
        assert sources.nth(0).get_attribute("srcset") == image["srcset"]["avif"]
        assert shots.nth(index).locator("picture img").get_attribute(
            "srcset") == image["srcset"]["jpeg"]
    assert card(page, product_id).locator(LOADED).count() == 0
    assert held, "the page asked for no rendition"

    released.append(True)
    for route in held:
        route.continue_()
    wait_for(lambda: card(page, product_id).locator(LOADED).count() == 3, timeout=30,
             message="three loaded renditions")
    for index in range(3):
        assert shots.nth(index).get_attribute("data-format") == "avif"
        assert not shots.nth(index).locator("img.placeholder").is_visible()
        assert shots.nth(index).locator("picture img").evaluate("img => img.naturalWidth") > 0
        assert shots.nth(index).locator("figcaption .status").text_content() == "ready"
    assert card(page, product_id).get_attribute("data-image-status") == "done"

    # A product made elsewhere (here, straight through the API) shows up from the stream.
    other = requests.post(console.api.url + "/products", headers=account.auth, timeout=10,
                          json={"product_name": "Rocket", "product_price": "3.50",
                                "product_images": [urls[2]]}).json()
    wait_for(lambda: card(page, other["id"]).locator(LOADED).count() == 1, timeout=90,
             message="the other product's card, loaded")
    assert page.locator("li.card").first.get_attribute("data-product-id") == str(other["id"])
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "catalog.png", tmp_path)
    assert watched.errors == [] and watched.dialogs == []

    # The product view: the source beside each rendition, with the API's byte figures.
    card(page, product_id).locator("a.name").click()
    page.wait_for_selector("#product[data-loaded=true]")
    wait_for(lambda: page.locator(LOADED).count() == 3, timeout=30, message="product images")
    assert page.locator("#product-name").text_content() == "Desk lamp"
    for index, image in enumerate(product["images"]):
        section = page.locator(f".image-detail[data-index='{index}']")
        assert image["source_url"] in section.locator(".source-url").text_content()
        source = section.locator("tr.source td")
        assert source.nth(2).text_content() == str(image["width"])
        assert source.nth(3).text_content() == str(image["height"])
        rows = section.locator("tr.rendition")
        shown = {(rows.nth(n).get_attribute("data-format"), int(rows.nth(n).get_attribute(
            "data-width")), int(rows.nth(n).get_attribute("data-bytes")))
            for n in range(rows.count())}
        kept = [r for r in image["renditions"] if r["format"] not in ("avif", "webp", "jpeg")]
        assert shown == {(r["format"], r["width"], r["bytes"]) for r in image["renditions"]
                         if r not in kept}
        for n in range(rows.count()):
            cells = rows.nth(n).locator("td")
            assert re.fullmatch(r"\d+(\.\d+)? (B|kB|MB)", cells.nth(4).text_content())
            format_, width, size = (rows.nth(n).get_attribute("data-format"), int(rows.nth(
                n).get_attribute("data-width")), int(rows.nth(n).get_attribute("data-bytes")))
            # Every rendition says what it saves against the source's downloaded bytes.
            against_source = math.floor((1 - size / image["source_bytes"]) * 100 + 0.5)
            assert cells.nth(5).text_content() == f"{against_source}%"
            if format_ != "jpeg":
                jpeg = next(r["bytes"] for r in image["renditions"]
                            if r["format"] == "jpeg" and r["width"] == width)
                # Math.round: halves go up, unlike Python's round.
                saved = math.floor((1 - size / jpeg) * 100 + 0.5)
                assert cells.nth(6).text_content() == f"{saved}%"
    screenshot(page, "product.png", tmp_path)
    assert watched.errors == [] and watched.dialogs == []


def names(page) -> list[str]:
    return page.locator("li.card a.name").all_text_contents()


def test_filters_paging_and_delete_through_the_api(console_factory, open_page):
    console = console_factory()
    account = console.sign_up()
    other = console.sign_up()
    for name, price in [("Oak desk", "120"), ("Desk lamp", "49.90"), ("Chair", "80"),
                        ("Standing desk", "300")]:
        requests.post(console.api.url + "/products", headers=account.auth, timeout=10,
                      json={"product_name": name, "product_price": price})
    requests.post(console.api.url + "/products", headers=other.auth, timeout=10,
                  json={"product_name": "Someone else's desk", "product_price": "1"})
    watched = open_page(accept_dialogs=True)
    page = watched.page

    # A key that is not the user's is refused, and nothing is kept.
    page.goto(console.url)
    page.fill("#sign-in [name=user]", str(account.id))
    page.fill("#sign-in [name=key]", other.api_key)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#sign-in-message[data-kind=error]")
    assert page.evaluate("sessionStorage.length") == 0
    page = sign_in(watched, console, account)
    assert account.api_key not in page.url
    assert page.evaluate("sessionStorage.getItem('console.key')") == account.api_key
    assert names(page) == ["Standing desk", "Chair", "Desk lamp", "Oak desk"]

    page.fill("#filters [name=name]", "desk")
    page.fill("#filters [name=max_price]", "200")
    page.fill("#filters [name=limit]", "1")
    page.click("#filters button[type=submit]")
    wait_for(lambda: names(page) == ["Desk lamp"], message="the first filtered page")
    page.click("#more")
    wait_for(lambda: names(page) == ["Desk lamp", "Oak desk"], message="the second page")
    page.click("#more")  # the page after a full one may be empty: then no more
    page.wait_for_selector("#more", state="hidden")
    assert names(page) == ["Desk lamp", "Oak desk"]

    page.locator("li.card", has_text="Oak desk").locator("button.danger").click()
    wait_for(lambda: names(page) == ["Desk lamp"], message="the deleted card gone")
    assert watched.dialogs == ["confirm: Delete “Oak desk”?"]
    listed = requests.get(console.api.url + "/products", params={"user_id": account.id},
                          timeout=10).json()["items"]
    assert [product["product_name"] for product in listed] == [
        "Standing desk", "Chair", "Desk lamp"]
    assert watched.errors == []
