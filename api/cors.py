"""CORS for the origins in EVENTS_CORS_ORIGINS (docs/api.md), shared by the API and the
stream process: a page on one of them may open a stream and ask the API for its token.

Keys travel in ``Authorization``, never in cookies, so no credentials are allowed; browsers
send the header after a preflight, which Falcon's middleware answers.
"""

from __future__ import annotations

from collections.abc import Iterable

import falcon


class RouteCors(falcon.CORSMiddleware):
    """Falcon's CORS middleware, answering only on the given route templates (every route
    when ``routes`` is None)."""

    def __init__(self, origins: Iterable[str], *, routes: Iterable[str] | None = None) -> None:
        origins = tuple(origins)
        # Falcon takes the wildcard only as the bare string.
        super().__init__(allow_origins="*" if "*" in origins else origins,
                         allow_credentials=None)
        self._routes = None if routes is None else frozenset(routes)

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         req_succeeded: bool) -> None:
        if self._routes is None or req.uri_template in self._routes:
            super().process_response(req, resp, resource, req_succeeded)
