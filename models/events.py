"""Events (docs/api.md): what happened to a product, written in the transaction of the
change, read back in the order readers may see them.

Writing. The product writers of :mod:`models.products` call :func:`record` after their
statement, inside their transaction, so an event commits with its change or not at all. An
event stores the product's row as it is at the commit (jsonb), rendered on reading, and the
product's ``version``: a writer bumps it only when the transaction has no event of the
product yet (:data:`BUMP_VERSION`), and :func:`record` brings the earlier events of the same
transaction up to the latest row, so every event of one commit carries one version and one
representation.

Ordering. An id handed out by a sequence is taken at insert time but seen at commit time, so
a plain ``ORDER BY id`` lets a reader see id 11 and move past id 10 that commits a moment
later. Each event therefore stores its transaction id (``pg_current_xact_id()``); readers
order by ``(xid, id)`` and show only events whose xid is below the oldest transaction still in
flight (``pg_snapshot_xmin(pg_current_snapshot())``). Every transaction with a smaller xid
has then ended, and every later one gets a larger xid, so nothing can ever commit behind a
position a reader has seen. The alternative, a lock that serializes every writer from its
event to its commit, is simpler to reason about but makes all product writes (the API's and
every worker thread's) queue on one lock; the horizon costs writers nothing. Its price: a
long transaction that holds an xid (on any database of the server) delays, never hides,
the events behind it.

Retention: :func:`prune` deletes rows older than ``EVENTS_RETENTION_DAYS`` in bounded
batches, ``SKIP LOCKED`` so that several processes can prune at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from models.db import db


class EventType(StrEnum):
    """The closed list of event types (docs/api.md)."""

    CREATED = "product.created"
    UPDATED = "product.updated"
    DELETED = "product.deleted"
    IMAGE_READY = "product.image.ready"
    IMAGE_FAILED = "product.image.failed"
    #: The product left ``pending``: every image is ready or failed.
    IMAGES_FINISHED = "product.images.finished"


#: Types whose events name the source image they are about.
IMAGE_TYPES = frozenset({EventType.IMAGE_READY, EventType.IMAGE_FAILED})

#: The SET clause of ``version`` for every statement that changes a product: one more than
#: before, unless this transaction already recorded an event of the product (and so bumped
#: it), so the events of one commit share the version.
BUMP_VERSION = (
    "version = products.version + (NOT EXISTS (SELECT 1 FROM events"
    " WHERE events.xid = pg_current_xact_id() AND events.product_id = products.id))::int")


class Position(NamedTuple):
    """Where an event stands in the order of the feed: its transaction, then its id."""

    xid: int
    id: int


class EventRow(NamedTuple):
    position: Position
    type: EventType
    user_id: int
    product_id: int
    version: int
    image_indexes: list[int] | None
    source_url: str | None
    #: The product's row at the event's commit, as stored: read it with
    #: :func:`models.products.row_from_snapshot`.
    product: dict
    created_at: datetime


# The row as text-safe jsonb: numeric would come back through a binary float.
_SNAPSHOT = "to_jsonb(p) || jsonb_build_object('product_price', p.product_price::text)"

#: The channel every :func:`record` notifies with the user's id, delivered at commit: the live
#: stream's wake-up (a missed one costs latency, never an event: the stream also polls).
CHANNEL = "events"

_RECORD_SQL = (
    f"WITH p AS (SELECT p.id, p.user_id, p.version, {_SNAPSHOT} AS product"
    "   FROM products AS p WHERE p.id = %s),"
    " earlier AS (UPDATE events SET version = p.version, product = p.product FROM p"
    "   WHERE events.xid = pg_current_xact_id() AND events.product_id = p.id),"
    " inserted AS (INSERT INTO events (type, user_id, product_id, version, image_indexes,"
    "   source_url, product)"
    "   SELECT %s, p.user_id, p.id, p.version, %s, %s, p.product FROM p"
    " RETURNING user_id),"
    f" notified AS (SELECT pg_notify('{CHANNEL}', user_id::text) FROM inserted)"
    " SELECT count(*) FROM notified")

_COLUMNS = ("xid::text::bigint, id, type, user_id, product_id, version, image_indexes,"
            " source_url, product, created_at")
#: Only events of transactions older than every one in flight (see the module docstring).
_VISIBLE = "xid < pg_snapshot_xmin(pg_current_snapshot())"


def record(product_id: int, event_type: EventType, *, image_indexes: Sequence[int] | None = None,
           source_url: str | None = None) -> None:
    """Write an event of the product as it now is; call inside the change's transaction,
    after the change (a deletion: before the row goes)."""
    db.execute_sql(_RECORD_SQL, (product_id, str(event_type),
                                 None if image_indexes is None else list(image_indexes),
                                 source_url))


def read(user_id: int | None, *, after: Position | None = None,
         types: Sequence[EventType] | None = None, limit: int = 50) -> list[EventRow]:
    """The user's visible events after ``after``, oldest first; every user's when
    ``user_id`` is None (what a fan-out to webhooks or streams reads)."""
    conditions = [_VISIBLE]
    params: list = []
    if user_id is not None:
        conditions.append("user_id = %s")
        params.append(user_id)
    if after is not None:
        conditions.append("(xid, id) > (%s::text::xid8, %s)")
        params.extend([str(after.xid), after.id])
    if types is not None:
        conditions.append("type = ANY(%s)")
        params.append([str(each) for each in types])
    params.append(limit)
    cursor = db.execute_sql(
        f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(conditions)}"
        " ORDER BY xid, id LIMIT %s", params)
    return [_event(row) for row in cursor.fetchall()]


def users_after(after: Position | None) -> tuple[list[int], Position | None]:
    """The users with visible events after ``after`` and the last such position: one query
    for every open stream of a process, whatever their number."""
    params: list = []
    condition = _VISIBLE
    if after is not None:
        condition += " AND (xid, id) > (%s::text::xid8, %s)"
        params.extend([str(after.xid), after.id])
    rows = db.execute_sql(
        f"SELECT array_agg(DISTINCT user_id), max(ARRAY[xid::text::numeric, id])"
        f" FROM events WHERE {condition}", params).fetchone()
    if rows[0] is None:
        return [], after
    return rows[0], Position(int(rows[1][0]), int(rows[1][1]))


def exists(user_id: int, position: Position) -> bool:
    """Whether the user has the event at ``position`` (still kept)."""
    cursor = db.execute_sql(
        "SELECT 1 FROM events WHERE id = %s AND xid = %s::text::xid8 AND user_id = %s",
        (position.id, str(position.xid), user_id))
    return cursor.fetchone() is not None


def oldest() -> Position | None:
    """The first position still kept, of any user."""
    row = db.execute_sql(
        "SELECT xid::text::bigint, id FROM events ORDER BY xid, id LIMIT 1").fetchone()
    return Position(*row) if row else None


def prune(retention_days: int, *, batch_size: int = 1000) -> int:
    """Delete one batch of events older than ``retention_days``; returns how many. Rows
    another pruner holds are skipped, so several may run at once without waiting."""
    cursor = db.execute_sql(
        "DELETE FROM events WHERE id IN (SELECT id FROM events"
        "   WHERE created_at < now() - make_interval(days => %s)"
        "   ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED)",
        (retention_days, batch_size))
    return cursor.rowcount


def _event(row: tuple) -> EventRow:
    xid, event_id, event_type, user_id, product_id, version, indexes, url, product, at = row
    return EventRow(Position(xid, event_id), EventType(event_type), user_id, product_id,
                    version, indexes, url, product, at)
