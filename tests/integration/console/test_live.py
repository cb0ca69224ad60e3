"""The catalog's live updates survive the stream going away: once the process is back
(same URL), the page gets a fresh stream token (the first one has expired) and resumes after
the last event it had, so what happened meanwhile appears once, without a reload."""

from __future__ import annotations

import time

import requests

from tests.integration.console.conftest import sign_in
from tests.support.processes import wait_for


def test_the_catalog_resumes_with_a_new_token_after_the_stream_restarts(
        console_factory, open_page):
    console = console_factory(STREAM_TOKEN_TTL_SECONDS="1")
    account = console.sign_up()
    watched = open_page()
    page = sign_in(watched, console, account)
    first = requests.post(console.api.url + "/products", headers=account.auth, timeout=10,
                          json={"product_name": "Before", "product_price": "1"}).json()
    page.wait_for_selector(f"li.card[data-product-id='{first['id']}']")
    page.evaluate("window.notReloaded = true")
    # Past the token's lifetime (whole seconds, signed with the second it was made).
    issued = time.time()
    wait_for(lambda: time.time() > issued + 2.5, timeout=10, message="the token to expire")

    console.stream.stop()
    page.wait_for_selector("#stream-state[data-state=reconnecting]")
    meanwhile = requests.post(console.api.url + "/products", headers=account.auth, timeout=10,
                              json={"product_name": "Meanwhile", "product_price": "2"}).json()
    console.stream.start()

    page.wait_for_selector(f"li.card[data-product-id='{meanwhile['id']}']", timeout=30_000)
    page.wait_for_selector("#stream-state[data-state=live]")
    assert page.locator("li.card a.name").all_text_contents() == ["Meanwhile", "Before"]
    assert page.evaluate("window.notReloaded") is True
