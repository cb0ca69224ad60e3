"""Middleware, one concern each: request ids and request logs; database connections; request
bodies left unread."""

from __future__ import annotations

import logging
import os
import re
import time

import falcon

from api.bodies import drain_unread_body
from models.db import release

logger = logging.getLogger("api.requests")

_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


class RequestLog:
    """Gives every request an id (the client's ``X-Request-ID`` when it is sane) and logs
    one JSON line per request with its route, status and duration."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        client_id = req.get_header("X-Request-ID")
        if client_id and _CLIENT_REQUEST_ID.fullmatch(client_id):
            req.context.request_id = client_id
        else:
            req.context.request_id = os.urandom(16).hex()
        resp.set_header("X-Request-ID", req.context.request_id)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        started = getattr(req.context, "started", None)
        duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        status = resp.status_code
        logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %s",
            req.method,
            req.path,
            status,
            extra={
                "request_id": getattr(req.context, "request_id", None),
                "method": req.method,
                "path": req.path,
                "route": req.uri_template,
                "status": status,
                "duration_ms": duration_ms,
            },
        )


class DatabaseConnections:
    """Returns the request's pooled connection, if its code took one, when the request ends.

    Connections are opened lazily by the first query, so a request that never queries (a
    cache hit, a health check) never takes one.
    """

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        release()


class UnreadBodies:
    """Drains what a responder left unread of the request body before the response goes out
    (see :func:`api.bodies.drain_unread_body`), for every route and every error at once.

    It comes first in the app's list so that its ``process_response`` runs last, after the
    database connection has gone back to the pool.
    """

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        drain_unread_body(req)
