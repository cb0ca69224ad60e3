"""API keys: made with ``secrets``, shown once, stored as HMAC-SHA256 under a server secret.

A keyed hash of a 256-bit random key needs no slow KDF (nothing to brute-force) and keeps the
lookup to one indexed equality query; the database comparison never sees the key itself.
Below both the API (sign-up, authentication) and the seeding command, which mint keys alike.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "pcat_"


def new_api_key() -> str:
    """A fresh key: the prefix and 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str, secret: str) -> bytes:
    """What the database stores for ``api_key``, under the server's API_KEY_SECRET."""
    return hmac.new(secret.encode(), api_key.encode(), hashlib.sha256).digest()
