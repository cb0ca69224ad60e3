"""``/users``: sign-up (which hands out the API key, once), public profiles, and a new key
for a user whose key leaked."""

from __future__ import annotations

import falcon

from api.auth import Authenticator, bearer_token, refuse_over_limit
from api.bodies import read_body
from api.client_address import Network, client_address
from api.params import not_found, path_id
from api.schemas import UserCreate
from core.api_keys import hash_api_key, new_api_key
from core.rate_limit import RateLimiter
from core.representation import dumps, user_document
from models.users import create_user, get_user, replace_key_hash


class Users:
    """Parameters:
      signups: the bucket each sign-up takes a token from, per client address.
      trusted_proxies: the proxies whose ``X-Forwarded-For`` names the client address.
    """

    def __init__(self, *, authenticator: Authenticator, api_key_secret: str,
                 signups: RateLimiter, trusted_proxies: tuple[Network, ...]) -> None:
        self._authenticator = authenticator
        self._secret = api_key_secret
        self._signups = signups
        self._trusted_proxies = trusted_proxies

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        address = client_address(req, self._trusted_proxies)
        refuse_over_limit(self._signups.take(f"address:{address}"), "sign-ups from this address")
        body = read_body(req, UserCreate)
        api_key = new_api_key()
        user = create_user(body.name, body.email, hash_api_key(api_key, self._secret))
        resp.status = falcon.HTTP_201
        resp.location = f"/users/{user.id}"
        resp.data = dumps({**user_document(user, with_email=True), "api_key": api_key})

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        user = get_user(path_id(user_id, "user"))
        if user is None:
            raise not_found("user")
        own = self._authenticator.user_id(req) == user.id
        resp.data = dumps(user_document(user, with_email=own))

    def on_post_api_key(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        """Rotate the key: the caller's own current key in, a new one out, the old one dead."""
        target = path_id(user_id, "user")
        caller = self._authenticator.require(req)
        if caller != target:
            raise falcon.HTTPForbidden(title="Forbidden",
                                       description="Only the user's own key can replace it.")
        api_key = new_api_key()
        current = hash_api_key(bearer_token(req) or "", self._secret)
        if not replace_key_hash(target, current, hash_api_key(api_key, self._secret)):
            # Another rotation with the same key committed first: this key is gone now.
            raise self._authenticator.unauthorized()
        resp.status = falcon.HTTP_201
        resp.data = dumps({"id": target, "api_key": api_key})
