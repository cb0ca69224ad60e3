"""A product name that is markup renders as text and runs nothing, in the catalog and the
product view; the Content-Security-Policy the browser gets refuses inline script."""

from __future__ import annotations

import requests

HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_product_named_like_markup_shows_as_text_and_runs_nothing(signed_in):
    console, account, watched, page = (signed_in.console, signed_in.account,
                                       signed_in.watched, signed_in.page)

    page.fill("#create [name=name]", HOSTILE)
    page.fill("#create [name=price]", "1")
    page.click("#create button[type=submit]")
    page.wait_for_selector("#create-message:has-text('Created product')")
    card = page.locator("li.card").first
    product_id = card.get_attribute("data-product-id")

    assert card.locator("a.name").text_content() == HOSTILE
    assert card.locator("img").count() == 0  # no image was made of the name
    # The stream's copy of it (product.created) goes through the same path.
    page.reload()
    page.wait_for_selector("#stream-state[data-state=live]")
    page.wait_for_selector(f"li.card[data-product-id='{product_id}']")
    assert page.locator("li.card a.name").first.text_content() == HOSTILE
    requests.patch(f"{console.api.url}/products/{product_id}", headers=account.auth,
                   json={"product_description": HOSTILE}, timeout=10)
    page.wait_for_selector(f"li.card[data-product-id='{product_id}'][data-version='2']")

    page.goto(f"{console.url}/product?id={product_id}")
    page.wait_for_selector("#product[data-loaded=true]")
    assert page.locator("#product-name").text_content() == HOSTILE
    assert page.locator("#product-description").text_content() == HOSTILE
    assert page.locator("main img").count() == 0
    assert page.title() == f"{HOSTILE} · Product console"

    assert watched.dialogs == []
    assert watched.errors == []


def test_the_browser_refuses_inline_script_under_the_consoles_policy(console_factory, open_page):
    console = console_factory()
    watched = open_page()
    page = watched.page

    answer = page.goto(console.url)
    page.wait_for_selector("#sign-in-panel", state="visible")
    refused = page.evaluate("""() => new Promise((resolve) => {
        document.addEventListener("securitypolicyviolation",
            (event) => resolve(event.violatedDirective), { once: true });
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.append(script);
        setTimeout(() => resolve(window.injected === true ? "ran" : "nothing"), 2000);
    })""")

    assert refused.startswith("script-src")
    assert page.evaluate("window.injected") is None
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert f"connect-src 'self' {console.stream.url};" in policy
