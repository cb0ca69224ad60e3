"""loadtests.scenarios.expect: how a Locust request is judged."""

from __future__ import annotations

import json

from loadtests.scenarios import expect, expect_images


class Response:
    """Locust's catch_response context, as far as expect uses it."""

    def __init__(self, status_code: int, headers: dict | None = None, body: object = None,
                 ) -> None:
        self.status_code, self.headers = status_code, headers or {}
        self.outcome: str | None = None
        self._body = json.dumps(body)

    def json(self) -> object:
        return json.loads(self._body)

    def failure(self, message: str) -> None:
        self.outcome = message

    def success(self) -> None:
        self.outcome = "success"


def judged(status_code: int, expected: int) -> str | None:
    response = Response(status_code)
    expect(response, expected)
    return response.outcome


def test_the_expected_status_succeeds_and_another_fails():
    assert judged(201, 201) == "success"
    assert judged(500, 201) == "expected 201, got 500"


def test_a_rate_limited_request_says_the_limit_must_be_off():
    assert "RATE_LIMIT_WRITES_PER_MINUTE=0" in judged(429, 201)


def test_a_created_product_must_show_one_pending_image_per_source():
    pending = {"status": "pending"}
    good = Response(201, body={"images": [pending, pending]})
    expect_images(good, 2)
    assert good.outcome is None  # left as expect() judged it
    for body in ({"images": [pending]}, {"images": [pending, {"status": "ready"}]}, {}):
        bad = Response(201, body=body)
        expect_images(bad, 2)
        assert bad.outcome is not None, body
