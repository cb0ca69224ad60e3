"""Opaque, signed page cursors: the client can pass them back but cannot forge them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import falcon

from api.params import bad_parameter

_SIGNATURE_BYTES = 12


def cursor_param(req: falcon.Request, secret: bytes) -> int | None:
    """The id the request's ``cursor`` resumes after, None without one; a 400 when this API
    did not issue it."""
    cursor = req.get_param("cursor")
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor, secret)
    except InvalidCursor:
        raise bad_parameter("cursor", "a `next_cursor` this API returned") from None


class InvalidCursor(ValueError):
    """The cursor was not issued by this API (or was altered)."""


def _signature(payload: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, b"cursor:" + payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def encode_cursor(last_id: int, secret: bytes) -> str:
    """A cursor that resumes after ``last_id`` in newest-first order."""
    return encode_key(str(last_id), secret)


def decode_cursor(cursor: str, secret: bytes) -> int:
    """The id a cursor resumes after; raises :class:`InvalidCursor`."""
    try:
        return int(decode_key(cursor, secret))
    except ValueError as error:
        raise InvalidCursor(cursor) from error


def encode_key(key: str, secret: bytes) -> str:
    """A cursor carrying ``key``, the sort key of a page's last row, as text."""
    payload = key.encode()
    token = payload + b"." + _signature(payload, secret)
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode()


def decode_key(cursor: str, secret: bytes) -> str:
    """The key of a cursor from :func:`encode_key`; raises :class:`InvalidCursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, signature = raw[: -_SIGNATURE_BYTES - 1], raw[-_SIGNATURE_BYTES:]
        if raw[-_SIGNATURE_BYTES - 1 : -_SIGNATURE_BYTES] != b"." or not hmac.compare_digest(
            signature, _signature(payload, secret)
        ):
            raise InvalidCursor(cursor)
        return payload.decode()
    except (ValueError, TypeError) as error:
        raise InvalidCursor(cursor) from error
