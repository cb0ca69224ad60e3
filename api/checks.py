"""Readiness checks of what the API depends on: each returns None when healthy, else a
short reason (never a secret or a connection string)."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from api.resources.health import Check
from models.db import db


def database_check() -> str | None:
    try:
        db.execute_sql("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return f"unavailable: {type(error).__name__}"
    return None


def cache_check(cache_client) -> Check:  # noqa: ANN001 - a redis.Redis
    def check() -> str | None:
        try:
            cache_client.ping()
        except Exception as error:  # noqa: BLE001 - any failure means "degraded"
            return f"unavailable: {type(error).__name__}"
        return None

    return check


def broker_check(broker_urls: Sequence[str]) -> Check:
    """Whether some node of the broker accepts connections (the API only writes to the
    outbox, and the relay reaches whichever node answers)."""
    nodes = [urlsplit(url) for url in broker_urls]

    def check() -> str | None:
        failure = None
        for parts in nodes:
            try:
                socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672),
                                         timeout=1).close()
            except OSError as error:
                failure = f"unavailable: {type(error).__name__}"
            else:
                return None
        return failure

    return check
