"""Errors answered before the body is read reach the client, through real gunicorn.

The API answers 413, 415 or 401 without reading a large body. Closing a socket with unread
bytes makes the kernel send a reset, which can destroy the response before the client reads
it (`requests` then raises "Remote end closed connection without response"). Before the
drain in api/bodies.py this failed in 15-30 % of tries, so 50 tries catch it.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

import pytest
import requests

from api.bodies import MAX_BODY_BYTES

TRIES = 50
#: Twice the limit: over it, and well inside what the server drains.
LARGE_BODY = json.dumps({"product_name": "x" * (2 * MAX_BODY_BYTES),
                         "product_price": "1.00"}).encode()


@pytest.fixture(scope="module")
def key_headers(server) -> dict[str, str]:
    user = requests.post(server.url + "/users", timeout=10, json={
        "name": "Ada", "email": f"ada-{uuid.uuid4().hex}@example.com"})
    assert user.status_code == 201, user.text
    return {"Authorization": f"Bearer {user.json()['api_key']}"}


CASES = {
    "413 too large": (413, {"Content-Type": "application/json"}, True),
    "415 not JSON": (415, {"Content-Type": "text/plain"}, True),
    "401 no key": (401, {"Content-Type": "application/json"}, False),
}


def outcome(post, url: str, headers: dict[str, str]) -> str:
    """The status and error title the client saw, or the name of the exception it got."""
    try:
        response = post(url, data=LARGE_BODY, headers=headers, timeout=30)
    except requests.ConnectionError as error:
        return f"ConnectionError: {error}"
    return f"{response.status_code} {response.json()['title']}"


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("connections", ["fresh connections", "one keep-alive session"])
def test_an_error_before_the_body_is_read_reaches_the_client(server, key_headers, case,
                                                             connections):
    status, headers, with_key = CASES[case]
    headers = {**headers, **(key_headers if with_key else {})}
    expected = {413: "413 Body too large", 415: "415 Unsupported Media Type",
                401: "401 Unauthorized"}[status]
    if connections == "fresh connections":
        seen = Counter(outcome(requests.post, server.url + "/products", headers)
                       for _ in range(TRIES))
    else:
        with requests.Session() as session:
            seen = Counter(outcome(session.post, server.url + "/products", headers)
                           for _ in range(TRIES))
    assert seen == {expected: TRIES}


def in_chunks(body: bytes, size: int = 64 * 1024):
    """A generator body: `requests` sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_a_chunked_body_is_read(server, key_headers):
    body = json.dumps({"product_name": "Chunked lamp", "product_price": "9.90"}).encode()
    response = requests.post(server.url + "/products", data=in_chunks(body, 8), timeout=30,
                             headers={"Content-Type": "application/json", **key_headers})
    assert response.status_code == 201, response.text
    assert response.json()["product_name"] == "Chunked lamp"


def test_an_over_limit_chunked_body_is_a_413(server, key_headers):
    headers = {"Content-Type": "application/json", **key_headers}
    with requests.Session() as session:
        seen = Counter(outcome(lambda url, data, **options: session.post(
            url, data=in_chunks(data), **options), server.url + "/products", headers)
            for _ in range(10))
    assert seen == {"413 Body too large": 10}
