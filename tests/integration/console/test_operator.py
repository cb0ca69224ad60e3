"""The operator view in Chromium: absent (no link, 404s, /admin too) without OPERATOR_TOKEN;
with one, an image that fails for good shows its code and message on its card and as a dead
letter, and replaying it from the console (once its source is fixed) makes it ready."""

from __future__ import annotations

import requests

from tests.integration.console.conftest import OPERATOR_TOKEN, screenshot, sign_in
from tests.support.photos import PHOTOS

ADMIN = [("GET", "/admin/dead-letters"), ("POST", "/admin/dead-letters/replay"),
         ("POST", "/admin/dead-letters/purge"), ("GET", "/admin/pipeline")]


def test_without_an_operator_token_the_console_has_no_operator_view(console_factory, open_page):
    console = console_factory()
    watched = open_page()
    page = sign_in(watched, console, console.sign_up())

    assert page.locator("#nav a").all_text_contents() == ["Catalog"]
    assert "operator" not in requests.get(console.url + "/config.json", timeout=10).json()
    for path in ("/operator", "/static/operator.html", "/static/operator.js"):
        assert requests.get(console.url + path, timeout=10).status_code == 404, path
    for method, path in ADMIN:
        answer = requests.request(method, console.api.url + path, json={"all": True}, timeout=10,
                                  headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
        assert answer.status_code == 404, path
    assert watched.errors == []


def test_a_failed_image_is_replayed_from_the_operator_view_until_ready(
        console_factory, open_page, images, worker, tmp_path):
    console = console_factory(operator_token=OPERATOR_TOKEN)
    account = console.sign_up()
    catalog = open_page()
    page = sign_in(catalog, console, account)
    assert page.locator("#nav a").all_text_contents() == ["Catalog", "Operator"]
    images.add("late.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    url = f"{images.base}/fixable/late.jpg"  # 404 until fixed: a permanent failure

    product = requests.post(console.api.url + "/products", headers=account.auth, timeout=10,
                            json={"product_name": "Late lamp", "product_price": "7",
                                  "product_images": [url]}).json()
    card = page.locator(f"li.card[data-product-id='{product['id']}']")
    shot = card.locator("figure.shot[data-status=failed]")
    shot.wait_for(timeout=60_000)
    assert shot.locator(".code").text_content() == "HTTP_STATUS"
    assert shot.locator(".message").text_content() == console.product(
        product["id"])["images"][0]["error"]["message"]
    assert card.get_attribute("data-image-status") == "failed"

    operator = open_page(accept_dialogs=True)
    view = operator.page
    view.goto(console.url + "/operator")
    view.fill("#token-form [name=token]", OPERATOR_TOKEN)
    view.click("#token-form button[type=submit]")
    row = view.locator("#letters tr[data-code=HTTP_STATUS]")
    row.wait_for()
    assert view.evaluate("sessionStorage.getItem('console.operator')") == OPERATOR_TOKEN
    assert OPERATOR_TOKEN not in view.url
    assert "HTTP 404" in row.locator(".reason").text_content()
    assert url in row.locator(".where").text_content()
    # The failure's event and its dead letter are separate commits: the view refreshes.
    failures = view.locator("#failures tr[data-code=HTTP_STATUS]")
    failures.wait_for()
    assert failures.locator("td").all_text_contents() == ["HTTP_STATUS", "1"]
    assert view.locator("[data-metric=dead_letters] .value").text_content() == "1"
    for name in ("outbox_depth", "image_queue_depth"):
        assert view.locator(f"[data-metric={name}] .value").text_content().isdigit(), name
    screenshot(view, "operator.png", tmp_path)

    images.fix("late.jpg")
    message_id = row.get_attribute("data-message-id")
    row.locator("button.replay").click()
    view.locator("#letters-empty").wait_for()
    assert operator.dialogs == [f"confirm: Replay dead letter {message_id}?"]

    # The catalog, never reloaded, follows the image from failed through pending to loaded.
    card.locator("figure.shot[data-loaded=true]").wait_for(timeout=60_000)
    assert card.get_attribute("data-image-status") == "done"
    assert console.product(product["id"])["images"][0]["status"] == "ready"
    assert catalog.errors == [] and operator.errors == []
