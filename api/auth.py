"""Authentication: the user behind a request's ``Authorization: Bearer`` API key.

Keys are minted and hashed in :mod:`core.api_keys`. Every write goes through
:meth:`Authenticator.require`, which is also where a write takes its rate-limit token.
"""

from __future__ import annotations

import falcon

from core.api_keys import hash_api_key
from core.rate_limit import Decision, RateLimiter
from models.users import user_id_for_key_hash


def bearer_token(req: falcon.Request) -> str | None:
    header = req.get_header("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class Authenticator:
    """Finds the user behind a request's ``Authorization: Bearer`` key.

    Parameters:
      secret: the server's API_KEY_SECRET.
      writes: the bucket every authenticated write takes a token from, per user (so that a
        key rotation does not refill it).
    """

    def __init__(self, *, secret: str, writes: RateLimiter) -> None:
        self._secret = secret
        self._writes = writes

    def user_id(self, req: falcon.Request) -> int | None:
        """The key's user, or None when the request carries no valid key."""
        token = bearer_token(req)
        if token is None or len(token) > 256:
            return None
        # The lookup is by hash equality in an index, so its timing tells nothing about keys.
        return user_id_for_key_hash(hash_api_key(token, self._secret))

    def require(self, req: falcon.Request) -> int:
        """The key's user, for a write: raises 401 when the request carries no valid key and
        429 when the user's writes are over their rate limit."""
        user_id = self.user_id(req)
        if user_id is None:
            raise self.unauthorized()
        refuse_over_limit(self._writes.take(f"user:{user_id}"), "writes for this API key")
        return user_id

    @staticmethod
    def unauthorized() -> falcon.HTTPUnauthorized:
        return falcon.HTTPUnauthorized(
            title="Unauthorized",
            description="A valid API key is required: send `Authorization: Bearer <api_key>`.",
            challenges=["Bearer"],
        )


def refuse_over_limit(decision: Decision, what: str) -> None:
    """Raise 429 with ``Retry-After`` when ``decision`` did not allow the request."""
    if not decision.allowed:
        raise falcon.HTTPTooManyRequests(
            title="Too Many Requests",
            description=f"Too many {what}; try again in {decision.retry_after} s.",
            retry_after=decision.retry_after,
        )
