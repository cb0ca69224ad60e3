"""``/webhooks``: a user's webhook endpoints, their delivery log, manual retries and secret
rotation (docs/api.md). Only the owner sees or changes a webhook: anyone else's is a 404,
as one that does not exist.

The secret is an HMAC key, so it is stored as it is (deliveries sign with it) and shown only
in the answers that make it: creation and rotation.
"""

from __future__ import annotations

import base64
import secrets

import falcon

from api.auth import Authenticator
from api.bodies import read_body
from api.cursor import cursor_param, encode_cursor
from api.params import not_found, path_id, query_int
from api.schemas import WebhookCreate, WebhookPatch
from core.representation import dumps
from core.webhook_urls import webhook_url_problem
from models import webhooks
from models.webhooks import DeliveryRow, WebhookRow

SECRET_PREFIX = "whsec_"
#: Bytes of a secret: 256 bits, what HMAC-SHA256 takes in one block without hashing.
SECRET_BYTES = 32
DEFAULT_PAGE_SIZE = 20
PAGE_SIZE_MAX = 100


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_document(row: WebhookRow) -> dict:
    return {"id": row.id, "url": row.url, "events": row.events, "description": row.description,
            "enabled": row.enabled, "disabled_reason": row.disabled_reason,
            "consecutive_failures": row.consecutive_failures, "created_at": row.created_at}


def delivery_document(row: DeliveryRow) -> dict:
    return {"id": row.id, "event_id": row.event_id, "event_type": row.event_type,
            "status": row.status, "attempts": row.attempts, "last_status": row.last_status,
            "last_error": row.last_error, "last_response": row.last_response,
            "last_attempt_at": row.last_attempt_at,
            "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
            "created_at": row.created_at}


class Webhooks:
    """Parameters:
      allow_private: IMAGE_FETCH_ALLOW_PRIVATE, the address rule deliveries follow too.
      cursor_secret: signs the delivery log's cursors.
    """

    def __init__(self, *, authenticator: Authenticator, allow_private: bool,
                 cursor_secret: bytes) -> None:
        self._authenticator = authenticator
        self._allow_private = allow_private
        self._cursor_secret = cursor_secret

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user_id = self._authenticator.require(req)
        body = read_body(req, WebhookCreate)
        self._check_url(body.url)
        secret = new_secret()
        row = webhooks.create(user_id, body.url, body.events, body.description, secret)
        resp.status = falcon.HTTP_201
        resp.location = f"/webhooks/{row.id}"
        document = webhook_document(row)
        del document["disabled_reason"], document["consecutive_failures"]
        resp.data = dumps({**document, "secret": secret})

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user_id = self._reader(req)
        resp.data = dumps({"items": [webhook_document(row)
                                     for row in webhooks.list_for(user_id)]})

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, webhook_id: str) -> None:
        resp.data = dumps(webhook_document(self._own(webhook_id, self._reader(req))))

    def on_patch_item(self, req: falcon.Request, resp: falcon.Response,
                      webhook_id: str) -> None:
        user_id = self._authenticator.require(req)
        target = path_id(webhook_id, "webhook")
        changes = read_body(req, WebhookPatch).changes()
        if "url" in changes:
            self._check_url(changes["url"])
        row = webhooks.update(target, user_id, changes)
        if row is None:
            raise not_found("webhook")
        resp.data = dumps(webhook_document(row))

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response,
                       webhook_id: str) -> None:
        user_id = self._authenticator.require(req)
        if not webhooks.delete(path_id(webhook_id, "webhook"), user_id):
            raise not_found("webhook")
        resp.status = falcon.HTTP_204

    def on_get_deliveries(self, req: falcon.Request, resp: falcon.Response,
                          webhook_id: str) -> None:
        row = self._own(webhook_id, self._reader(req))
        limit = query_int(req, "limit", low=1, high=PAGE_SIZE_MAX, default=DEFAULT_PAGE_SIZE)
        before_id = cursor_param(req, self._cursor_secret)
        rows = webhooks.deliveries(row.id, before_id=before_id, limit=limit)
        next_cursor = (encode_cursor(rows[-1].id, self._cursor_secret)
                       if len(rows) == limit else None)
        resp.data = dumps({"items": [delivery_document(each) for each in rows],
                           "next_cursor": next_cursor})

    def on_post_retry(self, req: falcon.Request, resp: falcon.Response, webhook_id: str,
                      delivery_id: str) -> None:
        user_id = self._authenticator.require(req)
        row = self._own(webhook_id, user_id)
        delivery = webhooks.retry(row.id, path_id(delivery_id, "delivery"))
        if delivery is None:
            raise not_found("delivery")
        resp.status = falcon.HTTP_202
        resp.data = dumps(delivery_document(delivery))

    def on_post_secret(self, req: falcon.Request, resp: falcon.Response,
                       webhook_id: str) -> None:
        user_id = self._authenticator.require(req)
        target = path_id(webhook_id, "webhook")
        secret = new_secret()
        expires_at = webhooks.rotate_secret(target, user_id, secret)
        if expires_at is None:
            raise not_found("webhook")
        resp.status = falcon.HTTP_201
        resp.data = dumps({"id": target, "secret": secret,
                           "previous_secret_expires_at": expires_at})

    def _reader(self, req: falcon.Request) -> int:
        user_id = self._authenticator.user_id(req)
        if user_id is None:
            raise self._authenticator.unauthorized()
        return user_id

    @staticmethod
    def _own(webhook_id: str, user_id: int) -> WebhookRow:
        row = webhooks.get(path_id(webhook_id, "webhook"), user_id)
        if row is None:
            raise not_found("webhook")
        return row

    def _check_url(self, url: str) -> None:
        problem = webhook_url_problem(url, allow_private=self._allow_private)
        if problem is not None:
            raise falcon.HTTPUnprocessableEntity(title="Invalid field", description=problem)
