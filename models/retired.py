"""Retired objects: the stored objects of rendition sets that a re-render replaced.

A replacement (:func:`models.products.replace_set`) retires, in its own transaction, the old
set's keys that nothing of the product uses any more, to be removed ``grace_days`` later:
clients may have kept their URLs, which were served as immutable. Keys are content hashes,
so a later set may bring a retired key back into use; recording a set takes its keys out of
the table, and the cleanup checks again before it removes anything.

An object a worker has uploaded but not recorded yet is invisible to the database, so the
worker holds :func:`uploading` (a shared advisory lock on the product) from its upload to its
commit, and the cleanup only touches a product whose exclusive lock it gets at once. Both are
transaction locks, so they hold through PgBouncer's transaction pooling: the worker's
transaction spans its uploads, and its commit, recording the set, releases the lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from models.db import db, release

#: High bits of the advisory lock keys of products (advisory locks take one bigint);
#: models/migrate.py's key is a small positive number, so they never meet.
_LOCK_NAMESPACE = -(1 << 62)


class RetiredObject(NamedTuple):
    key: str
    product_id: int


def _lock_key(product_id: int) -> int:
    return _LOCK_NAMESPACE + product_id


def retire(product_id: int, keys: Sequence[str], grace_days: int) -> None:
    """Schedule ``keys`` for removal ``grace_days`` from now; call inside the transaction
    that replaces their set. A key retired twice keeps the later time."""
    if not keys:
        return
    db.execute_sql(
        "INSERT INTO retired_objects (key, product_id, remove_after)"
        " SELECT k, %s, now() + make_interval(days => %s) FROM unnest(%s::text[]) AS k"
        " ON CONFLICT (key) DO UPDATE SET remove_after ="
        "   greatest(retired_objects.remove_after, excluded.remove_after)",
        (product_id, grace_days, list(dict.fromkeys(keys))),
    )


@contextmanager
def uploading(product_id: int) -> Iterator[None]:
    """Hold off the cleanup of the product's retired objects while this thread uploads and
    records a set: one transaction, which the block's writes join (``db.atomic()`` inside is
    a savepoint) and which commits when the block ends, releasing the lock; an exception
    rolls it back. The connection goes back to the pool afterwards, never in between.

    A transaction, not a session lock: through a transaction pooler a session lock would
    stay on whichever server connection took it, and the unlock could land on another."""
    try:
        with db.atomic():
            db.execute_sql("SELECT pg_advisory_xact_lock_shared(%s)", (_lock_key(product_id),))
            yield
    finally:
        release()


def take_due(limit: int) -> list[RetiredObject]:
    """Lock up to ``limit`` objects whose time has come, that no other cleanup holds and whose
    product no worker is uploading to; call inside the cleanup's transaction."""
    cursor = db.execute_sql(
        "SELECT key, product_id FROM retired_objects WHERE remove_after <= now()"
        " ORDER BY remove_after, key LIMIT %s FOR UPDATE SKIP LOCKED", (limit,))
    rows = [RetiredObject(*row) for row in cursor.fetchall()]
    products = sorted({row.product_id for row in rows})
    if not products:
        return []
    cursor = db.execute_sql(
        "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_xact_lock(%s + id)",
        (products, _LOCK_NAMESPACE))
    free = {row[0] for row in cursor.fetchall()}
    return [row for row in rows if row.product_id in free]


def forget(keys: Sequence[str]) -> None:
    """Drop the rows of ``keys``: removed, or used again by a set just recorded."""
    if keys:
        db.execute_sql("DELETE FROM retired_objects WHERE key = ANY(%s)", (list(keys),))


def count_due() -> int:
    return db.execute_sql(
        "SELECT count(*) FROM retired_objects WHERE remove_after <= now()").fetchone()[0]
