"""The durable record of messages that failed for good, which the operator CLI works from."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from psycopg2.extras import Json

from models.db import db


class DeadLetter(NamedTuple):
    message_id: str
    queue_name: str
    actor_name: str
    kwargs: dict
    product_id: int | None
    image_url: str | None
    reason: str
    attempts: int
    failed_at: datetime
    #: A models.failures.FailureCode; None for letters archived before codes existed.
    code: str | None = None
    #: The source's HTTP status when ``code`` is HTTP_STATUS.
    http_status: int | None = None


_COLUMNS = (
    "message_id::text, queue_name, actor_name, kwargs, product_id, image_url, reason,"
    " attempts, failed_at, code, http_status"
)


def archive(letter: DeadLetter) -> None:
    """Record a dead letter; recording the same message again updates it."""
    db.execute_sql(
        "INSERT INTO dead_letters (message_id, queue_name, actor_name, kwargs, product_id,"
        " image_url, reason, attempts, code, http_status)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (message_id) DO UPDATE SET reason = EXCLUDED.reason,"
        " attempts = EXCLUDED.attempts, code = EXCLUDED.code,"
        " http_status = EXCLUDED.http_status, failed_at = now()",
        (letter.message_id, letter.queue_name, letter.actor_name, Json(letter.kwargs),
         letter.product_id, letter.image_url, letter.reason, letter.attempts,
         None if letter.code is None else str(letter.code), letter.http_status),
    )


def list_all() -> list[DeadLetter]:
    cursor = db.execute_sql(f"SELECT {_COLUMNS} FROM dead_letters ORDER BY failed_at, message_id")
    return [DeadLetter(*row) for row in cursor.fetchall()]


def take(message_ids: list[str] | None) -> list[DeadLetter]:
    """Delete and return the given dead letters (all when None); call inside a transaction."""
    if message_ids is None:
        cursor = db.execute_sql(f"DELETE FROM dead_letters RETURNING {_COLUMNS}")
    else:
        cursor = db.execute_sql(
            f"DELETE FROM dead_letters WHERE message_id::text = ANY(%s) RETURNING {_COLUMNS}",
            (message_ids,),
        )
    return sorted((DeadLetter(*row) for row in cursor.fetchall()), key=lambda d: d.failed_at)


def page(before: tuple[datetime, str] | None, limit: int) -> list[DeadLetter]:
    """One page of the archive, newest first, after the letter ``before`` names (its
    ``failed_at`` and ``message_id``, the page's order)."""
    where, params = "", []
    if before is not None:
        where = " WHERE (failed_at, message_id::text) < (%s, %s)"
        params = [before[0], before[1]]
    cursor = db.execute_sql(
        f"SELECT {_COLUMNS} FROM dead_letters{where}"
        " ORDER BY failed_at DESC, message_id::text DESC LIMIT %s", (*params, limit))
    return [DeadLetter(*row) for row in cursor.fetchall()]


def count() -> int:
    return db.execute_sql("SELECT count(*) FROM dead_letters").fetchone()[0]
