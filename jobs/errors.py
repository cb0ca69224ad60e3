"""The image pipeline's exception tree.

Every failure of a step is one of two kinds, and the kind decides what the actor does:
a :class:`TransientError` is retried with backoff, a :class:`PermanentError` is recorded on
the product and dead-lettered at once. Adapters translate third-party errors into these at
the boundary (``raise TransientFetchError(...) from e``) so the actor never sees a library's
own exception types.

Each error also carries the :class:`~models.failures.FailureCode` recorded on the product and
in the dead-letter archive. A class that stands for one kind has it as a class attribute; the
fetch and rejection classes cover several kinds, so their raise sites name the code (and an
HTTP status error its ``http_status``). The kind, not the code, still decides retrying.
"""

from __future__ import annotations

from models.failures import FailureCode


class ImageJobError(Exception):
    """Base class for the pipeline's errors. ``str(error)`` is the reason shown to clients."""

    code: FailureCode = FailureCode.INTERNAL

    def __init__(self, message: str, *, code: FailureCode | None = None,
                 http_status: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.http_status = http_status


class TransientError(ImageJobError):
    """A failure that may go away by itself: retried with backoff."""


class PermanentError(ImageJobError):
    """A failure that will not go away by retrying: recorded and dead-lettered."""


class TransientFetchError(TransientError):
    """Timeout, connection error, HTTP 5xx/408/429 while downloading a source image."""


class PermanentFetchError(PermanentError):
    """Other 4xx, a blocked address, a bad scheme, too many redirects or too large a body."""


class BlockedAddressError(PermanentFetchError):
    """The source resolves to an address the worker must not connect to (SSRF guard)."""

    code = FailureCode.BLOCKED_ADDRESS


class ImageRejectedError(PermanentError):
    """The bytes are not a supported image, or decoding them would be unsafe (too many pixels)."""


class StorageUnavailable(TransientError):
    """The object store did not answer or refused the write."""

    code = FailureCode.STORAGE_UNAVAILABLE
