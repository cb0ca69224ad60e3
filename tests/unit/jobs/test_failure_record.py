"""jobs.deadletters.image_failure: the failure recorded for a job's last exception."""

from __future__ import annotations

import pytest
from dramatiq.middleware import TimeLimitExceeded

from jobs.deadletters import image_failure
from jobs.errors import (
    BlockedAddressError,
    ImageRejectedError,
    PermanentFetchError,
    StorageUnavailable,
    TransientFetchError,
)
from models.failures import FailureCode, ImageFailure


def test_a_permanent_error_is_not_retryable_and_keeps_its_code_and_status():
    error = PermanentFetchError("HTTP 404 from a.example", code=FailureCode.HTTP_STATUS,
                                http_status=404)

    assert image_failure(error, attempts=1) == ImageFailure(
        FailureCode.HTTP_STATUS, "HTTP 404 from a.example", False, 1, 404)


def test_a_transient_error_that_ran_out_of_retries_is_retryable():
    error = TransientFetchError("connection to a.example failed",
                                code=FailureCode.CONNECTION_FAILED)

    assert image_failure(error, attempts=6) == ImageFailure(
        FailureCode.CONNECTION_FAILED,
        "connection to a.example failed (gave up after 6 attempts)", True, 6)


@pytest.mark.parametrize(("error", "code"), [
    (BlockedAddressError("10.0.0.1 is an address that is not allowed"),
     FailureCode.BLOCKED_ADDRESS),
    (StorageUnavailable("object store unavailable"), FailureCode.STORAGE_UNAVAILABLE),
    (ImageRejectedError("image has too many pixels", code=FailureCode.TOO_MANY_PIXELS),
     FailureCode.TOO_MANY_PIXELS),
])
def test_the_code_comes_from_the_exception(error, code):
    assert image_failure(error, attempts=1).code == code


@pytest.mark.parametrize("error", [
    KeyError("product_id"),  # a bug
    TimeLimitExceeded(),
    RuntimeError("password=hunter2 in a connection string"),
    None,  # failed by a middleware, with no exception
])
def test_anything_unexpected_is_internal_and_says_nothing_of_itself(error):
    failure = image_failure(error, attempts=6)

    assert failure.code == FailureCode.INTERNAL
    assert failure.message == "internal error (gave up after 6 attempts)"
    assert failure.retryable is True and failure.http_status is None
