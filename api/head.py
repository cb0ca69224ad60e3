"""``HEAD`` wherever ``GET`` works (docs/api.md), for every route at once."""

from __future__ import annotations

import falcon


class HeadAsGet:
    """Routes a ``HEAD`` request to the resource's ``on_get`` responder.

    Falcon routes ``HEAD`` only to ``on_head``; this turns the method into ``GET`` just before
    routing and back before the response is written, so Falcon still drops the body and sends
    the ``Content-Length`` that ``GET`` would have. It goes last in the middleware list, so that
    the others see the request's own method.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.method == "HEAD":
            req.context.head = True
            req.method = "GET"

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        if getattr(req.context, "head", False):
            req.method = "HEAD"
