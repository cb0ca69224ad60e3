"""CORS for the pages of EVENTS_CORS_ORIGINS: on the API's stream-tokens route only, and on
the stream process, whose ``*`` answers every origin."""

from __future__ import annotations

import requests

from tests.integration.stream.clients import ALLOWED_ORIGIN, create_product, sign_up
from tests.support.environment import settings_env
from tests.support.processes import ApiServer
from tests.support.stream_server import messages, open_stream

ALLOW_ORIGIN = "Access-Control-Allow-Origin"


def preflight(url: str, origin: str, method: str, headers: str) -> requests.Response:
    return requests.options(url, timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers})


def cors_headers(response: requests.Response) -> dict:
    return {name: value for name, value in response.headers.items()
            if name.lower().startswith("access-control-")}


def test_the_stream_tokens_route_answers_listed_origins_only(api):
    account = sign_up(api.url)
    route = f"{api.url}/users/{account.id}/stream-tokens"
    allowed = preflight(route, ALLOWED_ORIGIN, "POST", "authorization")
    assert allowed.ok
    assert allowed.headers.get(ALLOW_ORIGIN) == ALLOWED_ORIGIN
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    # Keys travel in a header, never a cookie: no credentials.
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert cors_headers(preflight(route, "https://other.example", "POST", "authorization")
                        ) == {}
    # The request the preflight was for: the token, readable by the page.
    minted = requests.post(route, timeout=10, headers={**account.auth, "Origin": ALLOWED_ORIGIN})
    assert minted.status_code == 201
    assert minted.headers.get(ALLOW_ORIGIN) == ALLOWED_ORIGIN
    other = requests.post(route, timeout=10,
                          headers={**account.auth, "Origin": "https://other.example"})
    assert other.status_code == 201 and cors_headers(other) == {}


def test_the_rest_of_the_api_answers_no_origin(api):
    account = sign_up(api.url)
    product = create_product(api.url, account)
    for url, method in [(api.url + "/products", "POST"),
                        (f"{api.url}/products/{product['id']}", "PATCH"),
                        (f"{api.url}/users/{account.id}", "GET"),
                        (api.url + "/webhooks", "GET")]:
        assert cors_headers(preflight(url, ALLOWED_ORIGIN, method, "authorization")) == {}, url
    listed = requests.get(f"{api.url}/products/{product['id']}", timeout=10,
                          headers={**account.auth, "Origin": ALLOWED_ORIGIN})
    assert listed.ok and cors_headers(listed) == {}


def test_a_wildcard_answers_every_origin_on_the_stream_and_the_token_route(
        base_settings, clean_database, start_stream):
    stream = start_stream(EVENTS_CORS_ORIGINS="*")
    api = ApiServer(settings_env(base_settings, EVENTS_CORS_ORIGINS="*"))
    try:
        account = sign_up(api.url)
        create_product(api.url, account)
        for origin in (ALLOWED_ORIGIN, "https://any.example", "http://localhost:3000"):
            answer = preflight(f"{stream.url}/users/{account.id}/events", origin, "GET",
                               "last-event-id")
            assert answer.ok and answer.headers.get(ALLOW_ORIGIN) == "*", origin
            answer = preflight(f"{api.url}/users/{account.id}/stream-tokens", origin, "POST",
                               "authorization")
            assert answer.ok and answer.headers.get(ALLOW_ORIGIN) == "*", origin
            opened = open_stream(stream, account.id, {**account.auth, "Origin": origin})
            assert opened.status_code == 200 and opened.headers.get(ALLOW_ORIGIN) == "*"
            assert messages(opened, 1)[0]["event"] == "product.created"
            opened.close()
        assert cors_headers(preflight(api.url + "/products", "https://any.example", "POST",
                                      "authorization")) == {}
    finally:
        api.stop()
