"""The one shape of an image that failed for good (docs/api.md), as the worker records it
and as the API reads it back: ``{"code", "message", "retryable", "attempts"}``, plus
``"http_status"`` when the code is ``HTTP_STATUS``.

It lives here, not in ``jobs/`` or ``api/``, so that both read the same definition without
importing each other; it knows neither HTTP nor the queue, only the stored JSON.

Rows written before failures had codes hold a plain string (the reason) where the object now
stands, and the dead-letter archive's ``code`` column is NULL for them. The rule for those:
nothing is guessed. A legacy string reads as ``code`` None, ``message`` the string,
``retryable`` None and ``attempts`` None: the row says why in words but not which kind it
was, whether a replay may succeed, nor how often it was tried (parsing the words would turn
a wording change into a wrong code). Replaying the dead letter records a failure with a code
if it fails again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FailureCode(StrEnum):
    """Why an image failed; the kinds docs/api.md names, and no others."""

    BLOCKED_ADDRESS = "BLOCKED_ADDRESS"
    TOO_MANY_REDIRECTS = "TOO_MANY_REDIRECTS"
    HTTP_STATUS = "HTTP_STATUS"
    CONNECTION_FAILED = "CONNECTION_FAILED"
    DOWNLOAD_TIMEOUT = "DOWNLOAD_TIMEOUT"
    TOO_LARGE = "TOO_LARGE"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class ImageFailure:
    """An image's failure for good.

    Attributes:
      code: a :class:`FailureCode`; None only for a legacy row (see the module docstring).
        A code this version does not know (a newer worker's) is kept as the string it is.
      message: short, for people; never internals or secrets.
      retryable: True when a transient kind ran out of retries (a replay may succeed),
        False for a permanent kind; None when unknown (legacy).
      attempts: how many times the job ran; None when unknown (legacy).
      http_status: the source's status, for ``HTTP_STATUS`` only.
    """

    code: str | None
    message: str
    retryable: bool | None
    attempts: int | None
    http_status: int | None = None

    def to_json(self) -> dict:
        document: dict = {
            "code": None if self.code is None else str(self.code),
            "message": self.message,
            "retryable": self.retryable,
            "attempts": self.attempts,
        }
        if self.http_status is not None:
            document["http_status"] = self.http_status
        return document

    @classmethod
    def from_json(cls, value: object) -> ImageFailure:
        """Read a stored failure: the object :meth:`to_json` wrote, or a legacy string."""
        if isinstance(value, str):
            return cls(code=None, message=value, retryable=None, attempts=None)
        if not isinstance(value, dict):
            raise ValueError(f"not a stored image failure: {type(value).__name__}")
        code = value.get("code")
        known = code in FailureCode.__members__
        return cls(
            code=FailureCode(code) if known else code,
            message=value["message"],
            retryable=value.get("retryable"),
            attempts=value.get("attempts"),
            http_status=value.get("http_status"),
        )
