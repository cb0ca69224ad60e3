"""The database handle, declared at import and bound by the entry point with :func:`bind`.

Connections come from a per-process pool and are opened lazily: peewee connects on a
thread's first query (``autoconnect``), so a request that never queries (a cache hit,
``/healthz``) never takes one. Whoever serves a unit of work returns the connection with
:func:`release` when it ends.

``database_url`` may be PgBouncer in transaction-pooling mode: each transaction may run on
another server session, so nothing here relies on session state (no session ``SET``, advisory
lock, prepared statement, ``LISTEN``, or startup ``options``, which PgBouncer 1.18 refuses).
"""

from __future__ import annotations

import select
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import orjson
from playhouse.pool import PooledPostgresqlDatabase
from psycopg2 import extensions
from psycopg2.extras import register_default_jsonb

#: Seconds libpq waits for PostgreSQL to accept a connection: a database that is down
#: surfaces as a 503 within this bound instead of hanging the request.
CONNECT_TIMEOUT_SECONDS = 5


def _utc_timestamp(value: str | None, cursor) -> datetime | None:  # noqa: ANN001 - a cursor
    moment = extensions.PYDATETIMETZ(value, cursor)
    return None if moment is None else moment.astimezone(UTC)


#: timestamptz values in UTC whatever the session's time zone, so responses can say "Z".
#: A ``timezone`` in the startup options would do it on the server, but PgBouncer 1.18
#: refuses that parameter; a database or role setting could be overridden unnoticed.
_UTC_TIMESTAMP = extensions.new_type(extensions.PYDATETIMETZ.values, "UTC_TIMESTAMPTZ",
                                     _utc_timestamp)
_UTC_TIMESTAMP_ARRAY = extensions.new_array_type(extensions.PYDATETIMETZARRAY.values,
                                                 "UTC_TIMESTAMPTZ[]", _UTC_TIMESTAMP)


class _Pool(PooledPostgresqlDatabase):
    """peewee's pool, checking a pooled connection without a round trip.

    The stock check runs ``SELECT 1`` on every checkout, a round trip per request. An idle
    connection has nothing to read, so a readable socket means the server closed it (restart,
    failover, idle timeout): that is caught locally, and such a connection is replaced.
    """

    def _is_closed(self, conn) -> bool:  # noqa: ANN001 - a psycopg2 connection
        if conn.closed or self._adapter.txn_status(conn) != self._adapter.txn_idle:
            return True
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable)


db = _Pool(None)


def connect_arguments(database_url: str) -> dict:
    """The psycopg2 keyword arguments for a ``postgresql://`` URL (plus the database name)."""
    parts = urlsplit(database_url)
    arguments: dict = {
        "database": unquote(parts.path.lstrip("/")) or "product_management",
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else "postgres",
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        # Keepalives notice a dead server on an idle pooled connection within seconds.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "application_name": "product-catalog",
        # No "options": PgBouncer 1.18 refuses the connection (timestamps: _UTC_TIMESTAMP).
    }
    if parts.password:
        arguments["password"] = unquote(parts.password)
    return arguments


def bind(database_url: str, *, max_connections: int = 8) -> None:
    """Point the shared handle at ``database_url``; called once per process by entry points.

    Parameters:
      database_url: ``postgresql://user:password@host:port/name``.
      max_connections: pool size for this process; a request waits up to 5 s for a free one.
    """
    arguments = connect_arguments(database_url)
    name = arguments.pop("database")
    # A product's rendition sets are tens of kB of jsonb: orjson reads them in under half
    # the time of the standard library's json.loads (measured in docs/benchmarks.md).
    register_default_jsonb(globally=True, loads=orjson.loads)
    extensions.register_type(_UTC_TIMESTAMP)
    extensions.register_type(_UTC_TIMESTAMP_ARRAY)
    db.init(name, max_connections=max_connections, stale_timeout=300, timeout=5, **arguments)


def release() -> None:
    """Return this thread's connection to the pool, if it took one."""
    if not db.is_closed():
        db.close()
