"""``POST /users/{id}/stream-tokens``: a short-lived token that opens the user's live stream
(docs/api.md) from a browser, where EventSource cannot send an API key."""

from __future__ import annotations

import falcon

from api.auth import Authenticator
from api.params import path_id
from core import stream_tokens
from core.representation import dumps


class StreamTokens:
    """Parameters:
      api_key_secret: API_KEY_SECRET, which the token's signing key derives from.
      ttl_seconds: STREAM_TOKEN_TTL_SECONDS.
    """

    def __init__(self, *, authenticator: Authenticator, api_key_secret: str,
                 ttl_seconds: int) -> None:
        self._authenticator = authenticator
        self._secret = api_key_secret
        self._ttl = ttl_seconds

    def on_post(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        target = path_id(user_id, "user")
        caller = self._authenticator.require(req)
        if caller != target:
            raise falcon.HTTPForbidden(title="Forbidden",
                                       description="Only the user's own key mints its tokens.")
        minted = stream_tokens.mint(target, api_key_secret=self._secret, ttl_seconds=self._ttl)
        resp.status = falcon.HTTP_201
        resp.data = dumps({"token": minted.token, "expires_at": minted.expires_at,
                           "expires_in": minted.expires_in})
