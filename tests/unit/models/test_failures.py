"""models.failures: the stored shape of a failed image, and how rows older than it read."""

from __future__ import annotations

import json

import pytest

from models.failures import FailureCode, ImageFailure
from models.products import image_state


@pytest.mark.parametrize("failure", [
    ImageFailure(FailureCode.HTTP_STATUS, "HTTP 404 from example.com", False, 1, 404),
    ImageFailure(FailureCode.CONNECTION_FAILED,
                 "connection to example.com failed (gave up after 6 attempts)", True, 6),
    ImageFailure(FailureCode.INTERNAL, "internal error (gave up after 6 attempts)", True, 6),
])
def test_a_failure_survives_the_trip_through_stored_json(failure):
    stored = json.loads(json.dumps(failure.to_json()))  # what jsonb gives back

    assert ImageFailure.from_json(stored) == failure
    assert stored["code"] == str(failure.code)


def test_the_stored_json_is_the_spec_shape():
    failure = ImageFailure(FailureCode.TOO_LARGE, "image too large", False, 1)
    with_status = ImageFailure(FailureCode.HTTP_STATUS, "HTTP 410 from a.example", False, 1, 410)

    assert failure.to_json() == {
        "code": "TOO_LARGE", "message": "image too large", "retryable": False, "attempts": 1}
    assert with_status.to_json()["http_status"] == 410


def test_a_legacy_string_reads_as_its_message_and_nothing_guessed():
    failure = ImageFailure.from_json("connection to a.example failed (gave up after 5 attempts)")

    assert failure == ImageFailure(
        code=None, message="connection to a.example failed (gave up after 5 attempts)",
        retryable=None, attempts=None)
    assert failure.to_json()["code"] is None


def test_an_unknown_code_is_kept_as_written():
    stored = {"code": "SOMETHING_NEWER", "message": "m", "retryable": True, "attempts": 2}

    assert ImageFailure.from_json(stored).code == "SOMETHING_NEWER"


def test_a_known_code_reads_as_the_enum_member():
    stored = {"code": "NOT_AN_IMAGE", "message": "m", "retryable": False, "attempts": 1}

    assert ImageFailure.from_json(stored).code is FailureCode.NOT_AN_IMAGE


def test_image_state_gives_the_message_as_reason_and_the_code():
    failures = {
        "b": ImageFailure(FailureCode.HTTP_STATUS, "HTTP 404 from b", False, 1, 404).to_json(),
        "c": "not an image in a supported format",  # a row written before codes
    }

    status, errors = image_state(["a", "b", "c"], ["ca", None, None], failures)

    assert status == "failed"
    assert errors == [
        {"index": 1, "url": "b", "reason": "HTTP 404 from b", "code": "HTTP_STATUS"},
        {"index": 2, "url": "c", "reason": "not an image in a supported format", "code": None},
    ]
