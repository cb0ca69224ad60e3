"""Webhook endpoints and their deliveries (docs/api.md).

A delivery is a row: the fan-out (:func:`fan_out`) inserts one per matching endpoint in the
transaction that advances its position in the events table, and its schedule lives in the
row (``next_attempt_at``), never in RabbitMQ delays. Attempts are handed out with a lease
(:func:`claim_due`): the row's ``next_attempt_at`` becomes the lease's end, so a worker killed
mid-attempt leaves a delivery that comes due again by itself, and an attempt records its
result only while it still holds that lease (:func:`start_attempt`, :func:`record_attempt`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from models.db import db
from models.events import EventRow, Position

#: The ``events`` value meaning every type.
ALL_TYPES = "*"
#: How long a rotated-out secret still signs.
ROTATION_HOURS = 24
#: Why an endpoint was switched off by the deliveries, for ``disabled_reason``.
DISABLED_BY_FAILURES = "disabled after {count} consecutive failed deliveries"


class WebhookRow(NamedTuple):
    id: int
    user_id: int
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime


class DeliveryRow(NamedTuple):
    id: int
    webhook_id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    last_response: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime


class Attempt(NamedTuple):
    """What one delivery attempt needs: where, what, and the keys that sign it."""

    delivery_id: int
    url: str
    event_id: str
    body: bytes
    #: The current secret first, then a rotated-out one still within its 24 h.
    secrets: list[str]
    #: The lease this attempt holds (``next_attempt_at`` as text, exact to the microsecond).
    lease: str


_WEBHOOK = ("id, user_id, url, events, description, enabled, disabled_reason,"
            " consecutive_failures, created_at")
_DELIVERY = ("id, webhook_id, event_id, event_type, status, attempts, last_status, last_error,"
             " last_response, last_attempt_at, next_attempt_at, created_at")


def create(user_id: int, url: str, events: Sequence[str], description: str | None,
           secret: str) -> WebhookRow:
    cursor = db.execute_sql(
        "INSERT INTO webhooks (user_id, url, events, description, secret)"
        f" VALUES (%s, %s, %s, %s, %s) RETURNING {_WEBHOOK}",
        (user_id, url, list(events), description, secret))
    return WebhookRow(*cursor.fetchone())


def get(webhook_id: int, user_id: int) -> WebhookRow | None:
    """The user's webhook; None when there is none, or it is another user's."""
    row = db.execute_sql(f"SELECT {_WEBHOOK} FROM webhooks WHERE id = %s AND user_id = %s",
                         (webhook_id, user_id)).fetchone()
    return WebhookRow(*row) if row else None


def list_for(user_id: int) -> list[WebhookRow]:
    cursor = db.execute_sql(
        f"SELECT {_WEBHOOK} FROM webhooks WHERE user_id = %s ORDER BY id", (user_id,))
    return [WebhookRow(*row) for row in cursor.fetchall()]


def update(webhook_id: int, user_id: int, changes: dict) -> WebhookRow | None:
    """Change ``url``, ``events``, ``description`` or ``enabled``; enabling again also clears
    the failure count and the reason it was disabled."""
    assignments, params = [], []
    for column in ("url", "events", "description", "enabled"):
        if column in changes:
            assignments.append(f"{column} = %s")
            value = changes[column]
            params.append(list(value) if column == "events" else value)
    if changes.get("enabled"):
        assignments.append("disabled_reason = NULL, consecutive_failures = 0")
    if not assignments:
        return get(webhook_id, user_id)
    row = db.execute_sql(
        f"UPDATE webhooks SET {', '.join(assignments)} WHERE id = %s AND user_id = %s"
        f" RETURNING {_WEBHOOK}", (*params, webhook_id, user_id)).fetchone()
    return WebhookRow(*row) if row else None


def delete(webhook_id: int, user_id: int) -> bool:
    cursor = db.execute_sql("DELETE FROM webhooks WHERE id = %s AND user_id = %s",
                            (webhook_id, user_id))
    return cursor.rowcount == 1


def rotate_secret(webhook_id: int, user_id: int, secret: str) -> datetime | None:
    """Make ``secret`` the signing key; the one it replaces signs too for ROTATION_HOURS.
    Returns when the old one stops, or None when the user has no such webhook."""
    row = db.execute_sql(
        "UPDATE webhooks SET previous_secret = secret, secret = %s,"
        " previous_secret_expires_at = now() + make_interval(hours => %s)"
        " WHERE id = %s AND user_id = %s RETURNING previous_secret_expires_at",
        (secret, ROTATION_HOURS, webhook_id, user_id)).fetchone()
    return row[0] if row else None


def deliveries(webhook_id: int, *, before_id: int | None, limit: int) -> list[DeliveryRow]:
    """The webhook's deliveries, newest first, older than ``before_id`` when given."""
    condition = "" if before_id is None else " AND id < %s"
    params = (webhook_id,) if before_id is None else (webhook_id, before_id)
    cursor = db.execute_sql(
        f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE webhook_id = %s{condition}"
        " ORDER BY id DESC LIMIT %s", (*params, limit))
    return [DeliveryRow(*row) for row in cursor.fetchall()]


def retry(webhook_id: int, delivery_id: int) -> DeliveryRow | None:
    """Make the delivery due now (a manual retry: one more attempt, whatever its status)."""
    row = db.execute_sql(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()"
        f" WHERE id = %s AND webhook_id = %s RETURNING {_DELIVERY}",
        (delivery_id, webhook_id)).fetchone()
    return DeliveryRow(*row) if row else None


# The fan-out and the attempts (the worker's side).


def fan_out(render: Callable[[EventRow], tuple[str, bytes]], read: Callable[..., list[EventRow]],
            *, limit: int = 100) -> int | None:
    """One batch of the fan-out, inside the caller's transaction: lock the position row
    (another process holding it is doing this batch: None), read the events past it with
    ``read``, insert a delivery for each enabled webhook of the event's user that wants its
    type and existed when it was written, and move the position past them. Returns how many
    events were read.

    Parameters:
      render: an event's public id and body.
      read: :func:`models.events.read`.
    """
    row = db.execute_sql("SELECT after_xid, after_id FROM webhook_fanout"
                         " FOR UPDATE SKIP LOCKED").fetchone()
    if row is None:
        return None
    after = Position(*row) if row[0] is not None else None
    events = read(None, after=after, limit=limit)
    for event in events:
        targets = db.execute_sql(
            "SELECT id FROM webhooks WHERE user_id = %s AND enabled AND created_at <= %s"
            " AND (%s = ANY(events) OR %s = ANY(events))",
            (event.user_id, event.created_at, str(event.type), ALL_TYPES)).fetchall()
        if not targets:
            continue
        event_id, body = render(event)
        db.execute_sql(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body)"
            " SELECT unnest(%s::bigint[]), %s, %s, %s ON CONFLICT DO NOTHING",
            ([target for (target,) in targets], event_id, str(event.type), body))
    if events:
        last = events[-1].position
        db.execute_sql("UPDATE webhook_fanout SET after_xid = %s, after_id = %s",
                       (last.xid, last.id))
    return len(events)


def claim_due(lease_seconds: float, *, limit: int = 100) -> list[tuple[int, str]]:
    """Due pending deliveries of enabled webhooks, each leased for ``lease_seconds``: its
    ``next_attempt_at`` becomes the lease's end. Returns (delivery id, lease) pairs; rows
    another dispatcher holds are skipped."""
    cursor = db.execute_sql(
        "UPDATE webhook_deliveries AS d"
        " SET next_attempt_at = clock_timestamp() + make_interval(secs => %s)"
        " FROM (SELECT d.id FROM webhook_deliveries AS d JOIN webhooks AS w"
        "   ON w.id = d.webhook_id AND w.enabled"
        "   WHERE d.status = 'pending' AND d.next_attempt_at <= now()"
        "   ORDER BY d.next_attempt_at, d.id LIMIT %s FOR UPDATE OF d SKIP LOCKED) AS due"
        " WHERE d.id = due.id RETURNING d.id, d.next_attempt_at::text",
        (lease_seconds, limit))
    return sorted(cursor.fetchall())


def release_leases(leases: Sequence[tuple[int, str]]) -> int:
    """Make deliveries whose (id, lease) pairs are given due now, where the lease is still
    theirs: the dispatcher's leases for messages it could not publish. Returns how many."""
    if not leases:
        return 0
    cursor = db.execute_sql(
        "UPDATE webhook_deliveries AS d SET next_attempt_at = now()"
        " FROM unnest(%s::bigint[], %s::timestamptz[]) AS given(id, lease)"
        " WHERE d.id = given.id AND d.next_attempt_at = given.lease AND d.status = 'pending'",
        ([delivery_id for delivery_id, _ in leases], [lease for _, lease in leases]))
    return cursor.rowcount


def start_attempt(delivery_id: int, lease: str, lease_seconds: float) -> Attempt | None:
    """Take the attempt the lease ``lease`` was handed out for, renewing it; None when that
    lease is no longer the delivery's (it expired and was handed out again, or the delivery
    ended or was retried by hand), so that one lease makes one attempt."""
    row = db.execute_sql(
        "UPDATE webhook_deliveries AS d"
        " SET next_attempt_at = clock_timestamp() + make_interval(secs => %s)"
        " FROM webhooks AS w WHERE d.id = %s AND w.id = d.webhook_id AND d.status = 'pending'"
        "   AND d.next_attempt_at = %s::timestamptz AND d.next_attempt_at > now()"
        " RETURNING d.next_attempt_at::text, w.url, d.event_id, d.body, w.secret,"
        "   CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END",
        (lease_seconds, delivery_id, lease)).fetchone()
    if row is None:
        return None
    renewed, url, event_id, body, secret, previous = row
    return Attempt(delivery_id, url, event_id, bytes(body),
                   [secret] + ([previous] if previous else []), renewed)


def record_attempt(attempt: Attempt, *, succeeded: bool, http_status: int | None,
                   error: str | None, response: str | None, schedule: Sequence[int],
                   disable_after: int) -> str | None:
    """Record an attempt's result, if its lease still holds; returns the delivery's status.

    A success clears the endpoint's failure count. A failure is retried after
    ``schedule[attempts - 1]`` seconds, or ends the delivery as failed once the schedule is
    spent; the endpoint's ``disable_after``-th failed delivery in a row disables it.
    """
    row = db.execute_sql(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = %s,"
        " last_error = %s, last_response = %s, last_attempt_at = now(),"
        " status = CASE WHEN %s THEN 'succeeded'"
        "   WHEN attempts + 1 > cardinality(%s::int[]) THEN 'failed' ELSE 'pending' END,"
        " next_attempt_at = CASE WHEN %s OR attempts + 1 > cardinality(%s::int[]) THEN NULL"
        "   ELSE now() + make_interval(secs => (%s::int[])[attempts + 1]) END"
        " WHERE id = %s AND status = 'pending' AND next_attempt_at = %s::timestamptz"
        " RETURNING status, webhook_id",
        (http_status, error, response, succeeded, list(schedule), succeeded, list(schedule),
         list(schedule), attempt.delivery_id, attempt.lease)).fetchone()
    if row is None:
        return None
    status, webhook_id = row
    if status == "succeeded":
        db.execute_sql("UPDATE webhooks SET consecutive_failures = 0 WHERE id = %s",
                       (webhook_id,))
    elif status == "failed":
        db.execute_sql(
            "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,"
            " enabled = enabled AND consecutive_failures + 1 < %s,"
            " disabled_reason = CASE WHEN enabled AND consecutive_failures + 1 >= %s"
            "   THEN %s ELSE disabled_reason END WHERE id = %s",
            (disable_after, disable_after, DISABLED_BY_FAILURES.format(count=disable_after),
             webhook_id))
    return status
