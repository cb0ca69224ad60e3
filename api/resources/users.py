"""``/users``: sign-up (which hands out the API key, once), public profiles, and a new key
for a user whose key leaked."""

from __future__ import annotations

import falcon

from api.auth import Authenticator, bearer_token
from api.bodies import read_body
from api.params import not_found, path_id
from api.representation import dumps, user_document
from api.schemas import UserCreate
from core.api_keys import hash_api_key, new_api_key
from models.users import create_user, get_user, replace_key_hash


class Users:
    def __init__(self, *, authenticator: Authenticator, api_key_secret: str) -> None:
        self._authenticator = authenticator
        self._secret = api_key_secret

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
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
