"""loadtests.scenarios.expect: how a Locust request is judged."""

from __future__ import annotations

from loadtests.scenarios import expect


class Response:
    """Locust's catch_response context, as far as expect uses it."""

    def __init__(self, status_code: int, headers: dict | None = None) -> None:
        self.status_code, self.headers = status_code, headers or {}
        self.outcome: str | None = None

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
