"""The stream's ASGI application: ``GET /users/{id}/events`` as Server-Sent Events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import falcon
import falcon.asgi

from api.cors import RouteCors
from api.errors import serialize_error
from api.params import refuse_unknown_parameters
from core import stream_tokens
from core.api_keys import hash_api_key
from core.events import InvalidEventId, event_id, parse_event_id, render_event
from core.settings import Settings
from models import events
from models.events import Position
from models.users import user_id_for_key_hash
from stream.hub import Hub, pooled

logger = logging.getLogger(__name__)
_BATCH = 100
_PARAMETERS = frozenset({"token", "after"})


class Health:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"status": "ok"}


class Stream:
    def __init__(self, *, hub: Hub, settings: Settings) -> None:
        self._hub = hub
        self._settings = settings

    async def _caller(self, req: falcon.asgi.Request, target: int) -> None:
        header = req.get_header("Authorization") or ""
        scheme, _, key = header.partition(" ")
        token = req.get_param("token")
        if scheme.lower() == "bearer" and key.strip() and len(key) <= 256:
            caller = await pooled(user_id_for_key_hash,
                                  hash_api_key(key.strip(), self._settings.api_key_secret))
        elif token:
            try:
                caller = stream_tokens.verify(
                    token, api_key_secret=self._settings.api_key_secret,
                    ttl_seconds=self._settings.stream_token_ttl_seconds)
            except (stream_tokens.ExpiredToken, stream_tokens.InvalidToken):
                caller = None
        else:
            caller = None
        if caller is None:
            raise falcon.HTTPUnauthorized(
                title="Unauthorized", challenges=["Bearer"],
                description="Send `Authorization: Bearer <api_key>` or `?token=<stream token>`.")
        if caller != target:
            raise falcon.HTTPForbidden(title="Forbidden",
                                       description="Only the user's own stream.")

    async def _after(self, req: falcon.asgi.Request, user_id: int) -> Position | None:
        raw = req.get_header("Last-Event-ID") or req.get_param("after")
        if not raw:
            return None
        try:
            position = parse_event_id(raw)
        except InvalidEventId:
            raise falcon.HTTPBadRequest(title="Invalid event id",
                                        description="Not an event id (`evt_...`).") from None
        if not await pooled(events.exists, user_id, position):
            raise falcon.HTTPBadRequest(
                title="Invalid event id",
                description="No such event of this user (or it has expired): start again"
                            " without Last-Event-ID.")
        return position

    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response,
                     user_id: int) -> None:
        refuse_unknown_parameters(req, _PARAMETERS, "the stream")
        await self._caller(req, user_id)
        after = await self._after(req, user_id)
        resp.sse = self._messages(user_id, after)

    async def _messages(self, user_id: int, after: Position | None
                        ) -> AsyncIterator[falcon.asgi.SSEvent]:
        wake = self._hub.subscribe(user_id)
        logger.debug("stream opened", extra={"user_id": user_id})
        wake.set()
        try:
            while True:
                try:
                    await _wait(wake, self._settings.events_heartbeat_seconds)
                except TimeoutError:
                    yield falcon.asgi.SSEvent(comment="heartbeat")
                    continue
                # Wake-ups that come while this read runs collapse into one more read.
                wake.clear()
                while True:
                    rows = await pooled(events.read, user_id, after=after, limit=_BATCH)
                    for row in rows:
                        yield falcon.asgi.SSEvent(event_id=event_id(row.position),
                                                  event=str(row.type), data=render_event(row))
                        after = row.position
                    if len(rows) < _BATCH:
                        break
        finally:
            self._hub.unsubscribe(user_id, wake)
            logger.debug("stream closed", extra={"user_id": user_id})


async def _wait(wake, timeout: float) -> None:  # noqa: ANN001 - an asyncio.Event
    await asyncio.wait_for(wake.wait(), timeout)


class Lifespan:
    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    async def process_startup(self, scope: dict, event: dict) -> None:
        await self._hub.start()

    async def process_shutdown(self, scope: dict, event: dict) -> None:
        await self._hub.stop()


def create_app(settings: Settings) -> falcon.asgi.App:
    hub = Hub(database_url=settings.database_url, poll_seconds=settings.events_poll_seconds)
    app = falcon.asgi.App(middleware=[Lifespan(hub), RouteCors(settings.events_cors_origins)])
    # JSON errors whatever the client accepts: EventSource asks for text/event-stream only.
    app.set_error_serializer(serialize_error)
    app.add_route("/users/{user_id:int}/events", Stream(hub=hub, settings=settings))
    app.add_route("/healthz", Health())
    return app
