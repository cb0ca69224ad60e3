"""Reading request bodies: content type, size, JSON syntax, then the field rules."""

from __future__ import annotations

from typing import TypeVar

import falcon
import msgspec

#: SPEC section 3: a body over 1 MiB is a 413.
MAX_BODY_BYTES = 1024 * 1024

T = TypeVar("T")


def read_body(req: falcon.Request, schema: type[T]) -> T:
    """Decode and validate the JSON body as ``schema``; raises the matching 4xx."""
    media_type = (req.content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise falcon.HTTPUnsupportedMediaType(
            title="Unsupported Media Type",
            description="The body must be JSON, sent as `Content-Type: application/json`.",
        )
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise _too_large()
    # Also bounds a chunked body, which announces no length.
    raw = req.bounded_stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        return msgspec.json.decode(raw, type=schema)
    except msgspec.ValidationError as error:
        # Typed decoding stops at the first rule broken, possibly before a syntax error
        # further on: a body that is not JSON at all must still be a 400.
        _require_json_syntax(raw)
        raise falcon.HTTPUnprocessableEntity(
            title="Invalid field", description=str(error)
        ) from None
    except msgspec.DecodeError as error:
        raise _malformed(error) from None


def _require_json_syntax(raw: bytes) -> None:
    try:
        msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        raise _malformed(error) from None


def _malformed(error: Exception) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(
        title="Malformed JSON", description=f"The body is not valid JSON: {error}"
    )


def _too_large() -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(
        title="Body too large", description=f"The body must be at most {MAX_BODY_BYTES} bytes."
    )
