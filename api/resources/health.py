"""``/healthz`` (the process runs) and ``/readyz`` (what it depends on answers)."""

from __future__ import annotations

from collections.abc import Callable

import falcon

from core.representation import dumps

#: A check returns None when healthy, else a short reason.
Check = Callable[[], str | None]


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data = b'{"status":"ok"}'


class Readiness:
    """Reports each dependency; only the database being down makes the process unready,
    since reads fall back to PostgreSQL without the cache and the outbox holds work while
    the broker is away.

    Parameters:
      database: the check that must pass.
      optional: checks whose failure only degrades the service, by name.
    """

    def __init__(self, *, database: Check, optional: dict[str, Check] | None = None) -> None:
        self._database = database
        self._optional = optional or {}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        results = {"database": self._database()}
        results.update({name: check() for name, check in self._optional.items()})
        checks = {name: problem or "ok" for name, problem in results.items()}
        if results["database"] is not None:
            resp.status = falcon.HTTP_503
            status = "unavailable"
        else:
            status = "degraded" if any(results.values()) else "ok"
        resp.data = dumps({"status": status, "checks": checks})
