"""Stream tokens (docs/api.md): a short-lived credential that opens one user's live stream
and nothing else, for browsers whose EventSource cannot send an ``Authorization`` header.

Signed with itsdangerous under a key derived from API_KEY_SECRET with a salt of its own, so a
token is never a valid cursor, webhook secret or API key (the API looks keys up by hash; a
token's hash matches no user). Nothing is stored: a token is good until it expires.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_SALT = "stream-token"


class StreamToken(NamedTuple):
    token: str
    expires_at: datetime
    expires_in: int


class ExpiredToken(ValueError):
    """A token this server signed, past its lifetime."""


class InvalidToken(ValueError):
    """Not a token this server signed."""


def _serializer(api_key_secret: str) -> URLSafeTimedSerializer:
    key = hashlib.sha256(b"stream-token:" + api_key_secret.encode()).digest()
    return URLSafeTimedSerializer(key, salt=_SALT)


def mint(user_id: int, *, api_key_secret: str, ttl_seconds: int) -> StreamToken:
    """A token for ``user_id``'s stream, good for ``ttl_seconds``."""
    now = datetime.now(UTC).replace(microsecond=0)
    token = _serializer(api_key_secret).dumps({"u": user_id})
    return StreamToken(token, now + timedelta(seconds=ttl_seconds), ttl_seconds)


def verify(token: str, *, api_key_secret: str, ttl_seconds: int) -> int:
    """The user a token was minted for; raises :class:`ExpiredToken` or :class:`InvalidToken`."""
    try:
        payload = _serializer(api_key_secret).loads(token, max_age=ttl_seconds)
    except SignatureExpired:
        raise ExpiredToken(token) from None
    except BadSignature:
        raise InvalidToken(token) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise InvalidToken(token)
    return payload["u"]
