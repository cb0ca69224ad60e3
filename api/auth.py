"""Authentication: the user behind a request's ``Authorization: Bearer`` API key.

Keys are minted and hashed in :mod:`core.api_keys`.
"""

from __future__ import annotations

import falcon

from core.api_keys import hash_api_key
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
    """

    def __init__(self, *, secret: str) -> None:
        self._secret = secret

    def user_id(self, req: falcon.Request) -> int | None:
        """The key's user, or None when the request carries no valid key."""
        token = bearer_token(req)
        if token is None or len(token) > 256:
            return None
        # The lookup is by hash equality in an index, so its timing tells nothing about keys.
        return user_id_for_key_hash(hash_api_key(token, self._secret))

    def require(self, req: falcon.Request) -> int:
        """The key's user; raises 401 when the request carries no valid key."""
        user_id = self.user_id(req)
        if user_id is None:
            raise self.unauthorized()
        return user_id

    @staticmethod
    def unauthorized() -> falcon.HTTPUnauthorized:
        return falcon.HTTPUnauthorized(
            title="Unauthorized",
            description="A valid API key is required: send `Authorization: Bearer <api_key>`.",
            challenges=["Bearer"],
        )
