"""The transactional outbox: jobs recorded in the transaction of the change that needs them.

Writers call :func:`add_job` inside their transaction; the relay (``jobs.relay``) takes rows
in order, publishes them, and deletes them in one transaction of its own. A crash between
publishing and deleting publishes a row twice, which the idempotent actors tolerate.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from psycopg2.extras import Json

from models.db import db
from models.jobs import IMAGE_QUEUE, PROCESS_IMAGE, ImageJob, job_kwargs


class OutboxRow(NamedTuple):
    id: int
    message_id: str
    queue_name: str
    actor_name: str
    kwargs: dict


def add_job(actor_name: str, kwargs: dict, *, queue_name: str = IMAGE_QUEUE,
            message_id: str | None = None) -> str:
    """Record one job; call inside the writer's transaction. Returns its message id."""
    message_id = message_id or str(uuid.uuid4())
    db.execute_sql(
        "INSERT INTO outbox (message_id, queue_name, actor_name, kwargs) VALUES (%s, %s, %s, %s)",
        (message_id, queue_name, actor_name, Json(kwargs)),
    )
    return message_id


def add_image_jobs(product_id: int, urls: list[str], request_id: str | None) -> None:
    """One job per URL, in one statement: a product with ten images costs one round trip."""
    if not urls:
        return
    payloads = [Json(job_kwargs(ImageJob(product_id, url, request_id))) for url in urls]
    db.execute_sql(
        "INSERT INTO outbox (message_id, queue_name, actor_name, kwargs)"
        " SELECT gen_random_uuid(), %s, %s, kwargs"
        " FROM unnest(%s::jsonb[]) WITH ORDINALITY AS job(kwargs, position) ORDER BY position",
        (IMAGE_QUEUE, PROCESS_IMAGE, payloads),
    )


def take_batch(limit: int = 100) -> list[OutboxRow]:
    """Lock the oldest rows no other relay holds; call inside the relay's transaction."""
    cursor = db.execute_sql(
        "SELECT id, message_id::text, queue_name, actor_name, kwargs FROM outbox"
        " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
        (limit,),
    )
    return [OutboxRow(*row) for row in cursor.fetchall()]


def remove(ids: list[int]) -> None:
    db.execute_sql("DELETE FROM outbox WHERE id = ANY(%s)", (ids,))


def depth() -> int:
    return db.execute_sql("SELECT count(*) FROM outbox").fetchone()[0]
