"""Stream tokens end to end: minted by the API with the user's key, good on that user's
stream only, for STREAM_TOKEN_TTL_SECONDS, and never an API key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.integration.stream.clients import create_product, sign_up
from tests.support.accounts import Account
from tests.support.environment import settings_env
from tests.support.processes import ApiServer, wait_for
from tests.support.stream_server import messages, open_stream

#: The lifetime of the short-lived fixture's tokens: long enough to open a stream with one
#: on a loaded machine, short enough to see it expire.
SHORT_TTL = 2


def mint(api_url: str, user_id: int, headers: dict) -> requests.Response:
    return requests.post(f"{api_url}/users/{user_id}/stream-tokens", headers=headers,
                         timeout=10)


def token_of(api_url: str, account: Account) -> str:
    response = mint(api_url, account.id, account.auth)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def with_token(stream, account: Account, token: str, **headers: str) -> requests.Response:  # noqa: ANN001
    return open_stream(stream, account.id, headers, params={"token": token})


@pytest.fixture
def short_api(base_settings, clean_database) -> Iterator[ApiServer]:
    server = ApiServer(settings_env(base_settings, STREAM_TOKEN_TTL_SECONDS=str(SHORT_TTL)))
    yield server
    server.stop()


def test_a_token_minted_with_the_users_key_opens_their_stream(api, stream):
    account = sign_up(api.url)
    before = datetime.now(UTC).replace(microsecond=0)
    response = mint(api.url, account.id, account.auth)
    assert response.status_code == 201, response.text
    body = response.json()
    assert sorted(body) == ["expires_at", "expires_in", "token"]
    assert body["expires_in"] == 600
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(seconds=600) <= expires_at <= datetime.now(UTC) + timedelta(
        seconds=600)
    opened = with_token(stream, account, body["token"])
    assert opened.status_code == 200
    assert opened.headers["Content-Type"].startswith("text/event-stream")
    product = create_product(api.url, account)
    got = messages(opened, 1)[0]
    assert got["event"] == "product.created" and f'"product_id":{product["id"]}' in got["data"]


def test_a_token_opens_its_users_stream_only(api, stream):
    owner, other = sign_up(api.url), sign_up(api.url)
    token = token_of(api.url, owner)
    assert with_token(stream, other, token).status_code == 403
    # Another user's key mints no token for the owner; no key mints none at all.
    assert mint(api.url, owner.id, other.auth).status_code == 403
    assert mint(api.url, owner.id, {}).status_code == 401
    assert with_token(stream, owner, token).status_code == 200


def test_a_token_past_its_lifetime_is_a_401(short_api, start_stream):
    stream = start_stream(STREAM_TOKEN_TTL_SECONDS=str(SHORT_TTL))
    account = sign_up(short_api.url)
    response = mint(short_api.url, account.id, account.auth)
    assert response.json()["expires_in"] == SHORT_TTL
    token = response.json()["token"]
    first = with_token(stream, account, token)
    assert first.status_code == 200
    first.close()
    # Good until it expires, then refused: a few seconds, polled.
    wait_for(lambda: with_token(stream, account, token).status_code == 401,
             timeout=SHORT_TTL + 20, interval=0.25, message="the token to expire")
    assert with_token(stream, account, token_of(short_api.url, account)).status_code == 200


def test_a_token_is_not_an_api_key(api, stream):
    account = sign_up(api.url)
    create_product(api.url, account)
    token = token_of(api.url, account)
    as_key = {"Authorization": f"Bearer {token}"}
    assert requests.get(api.url + "/webhooks", headers=as_key, timeout=10).status_code == 401
    assert requests.post(api.url + "/products", headers=as_key, timeout=10, json={
        "product_name": "Lamp", "product_price": "1.00"}).status_code == 401
    assert mint(api.url, account.id, as_key).status_code == 401
    # Nor on the stream, where a Bearer header is an API key too.
    assert open_stream(stream, account.id, as_key).status_code == 401
    # The same requests with the key itself pass: the 401s are about the token.
    assert requests.get(api.url + "/webhooks", headers=account.auth, timeout=10).ok


def test_a_tampered_token_is_a_401(api, stream):
    account = sign_up(api.url)
    token = token_of(api.url, account)
    payload, timestamp, signature = token.split(".")

    def other(char: str) -> str:
        return "A" if char != "A" else "B"

    tampered = [
        f"{payload}.{timestamp}.{signature[:5]}{other(signature[5])}{signature[6:]}",
        f"{payload[:2]}{other(payload[2])}{payload[3:]}.{timestamp}.{signature}",
        f"{payload}.{timestamp}.", token[:-8], "not-a-token",
    ]
    for bad in tampered:
        assert with_token(stream, account, bad).status_code == 401, bad
    assert with_token(stream, account, token).status_code == 200
