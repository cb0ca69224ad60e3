"""Webhook deliveries (docs/api.md), in the worker processes.

Two loops run in a thread of every worker process (:func:`webhook_loops`):

- the fan-out reads the events past its position in the events table and inserts one delivery
  row per matching enabled endpoint, in the transaction that moves the position on (the
  position row is taken ``FOR UPDATE SKIP LOCKED``, so of several processes one does a batch
  and the others skip it);
- the dispatcher leases due deliveries (``SKIP LOCKED`` too), commits the leases, and hands
  each to the ``deliver_webhook`` actor on the ``webhooks`` queue: a message lost with a
  broker or a worker (or never published) leaves a lease that runs out, and the delivery
  comes due again (at once when the publish itself failed). The schedule therefore lives in
  PostgreSQL, never in RabbitMQ delays.

The actor makes ONE attempt: it takes the lease it was sent with (a stale message finds the
lease gone and does nothing), POSTs the body rendered at fan-out with the Standard Webhooks
headers through :func:`jobs.fetch.post` (the image downloads' address guard, no redirects,
10 s), and records the result. The signature comes from the ``standardwebhooks`` package:
``webhook-id`` is the event id on every attempt, and while a rotated-out secret still signs,
``webhook-signature`` carries both signatures.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import dramatiq
from standardwebhooks.webhooks import Webhook

from core.events import event_id, render_event
from core.settings import Settings
from core.unit_of_work import unit_of_work
from jobs.background import Loop
from jobs.errors import ImageJobError
from jobs.fetch import FetchLimits, post
from models import events, webhooks
from models.events import EventRow
from models.jobs import IMAGE_QUEUE, WEBHOOK_QUEUE
from models.webhooks import Attempt

logger = logging.getLogger(__name__)

DELIVER_WEBHOOK = "deliver_webhook"
#: A delivery's whole exchange with the receiver (docs/api.md).
TOTAL_TIMEOUT = 10.0
CONNECT_TIMEOUT = 3.0
#: Seconds an attempt holds its lease at least: the whole exchange and its recording, so a
#: short WEBHOOK_LEASE_SECONDS can never hand the same attempt out again while it runs.
ATTEMPT_LEASE = TOTAL_TIMEOUT + 5.0
#: What is kept of a receiver's answer for the delivery log.
ANSWER_BYTES = 1024
#: Seconds between looks for new events or due deliveries when there were none.
POLL_INTERVAL = 0.2
FAILURE_BACKOFF = 2.0
BATCH_SIZE = 100


def _rendered(event: EventRow) -> tuple[str, bytes]:
    return event_id(event.position), render_event(event)


def fan_out_once(*, batch_size: int = BATCH_SIZE) -> int:
    """One batch of the fan-out; returns how many events it read (0 when another process
    holds the position)."""
    with unit_of_work():
        read = webhooks.fan_out(_rendered, events.read, limit=batch_size)
    return read or 0


def dispatch_once(broker: dramatiq.Broker, *, lease_seconds: float,
                  batch_size: int = BATCH_SIZE) -> int:
    """Lease one batch of due deliveries for ``lease_seconds`` (WEBHOOK_LEASE_SECONDS: room
    for a message to wait in the queue behind others and for the 10 s attempt) and publish an
    attempt for each; returns how many. A lease that runs out makes the delivery due again (at
    least once: a receiver may see an attempt twice, with the same webhook-id)."""
    with unit_of_work():
        due = webhooks.claim_due(lease_seconds, limit=batch_size)
    # Published after the lease commits: an actor quicker than our commit would find the old
    # lease and drop the message.
    for index, (delivery_id, lease) in enumerate(due):
        try:
            broker.enqueue(dramatiq.Message(
                queue_name=WEBHOOK_QUEUE, actor_name=DELIVER_WEBHOOK, args=(),
                kwargs={"delivery_id": delivery_id, "lease": lease}, options={},
                message_timestamp=int(time.time() * 1000)))
        except Exception:
            # The broker is away (publishes are confirmed, so this one is not queued, or its
            # lease makes a late copy harmless): the unpublished deliveries are due again at
            # once rather than after their whole lease. If the database is away too, the
            # leases run out as before.
            _release(due[index:])
            raise
    return len(due)


def _release(leases: list[tuple[int, str]]) -> None:
    try:
        with unit_of_work():
            webhooks.release_leases(leases)
    except Exception as error:  # noqa: BLE001 - the publish error is the one to raise
        logger.warning("could not release %d webhook leases: %r", len(leases), error,
                       extra={"event": "webhook_dispatch", "error_type": type(error).__name__})


def signature_headers(attempt: Attempt, *, now: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers of an attempt: one signature per secret that signs."""
    now = now or datetime.now(UTC)
    text = attempt.body.decode()
    signatures = [Webhook(secret).sign(attempt.event_id, now, text) for secret in attempt.secrets]
    return {"webhook-id": attempt.event_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": " ".join(signatures), "Content-Type": "application/json"}


class Deliverer:
    """Makes one attempt of a delivery and records it.

    Parameters:
      allow_private: IMAGE_FETCH_ALLOW_PRIVATE: the address rule of image downloads.
      schedule: WEBHOOK_RETRY_SCHEDULE. disable_after: WEBHOOK_DISABLE_AFTER.
      lease_seconds: WEBHOOK_LEASE_SECONDS: the lease an attempt renews as it starts (at
        least ATTEMPT_LEASE).
    """

    def __init__(self, *, allow_private: bool, schedule: tuple[int, ...], disable_after: int,
                 lease_seconds: float = Settings.webhook_lease_seconds) -> None:
        self._limits = FetchLimits(connect_timeout=CONNECT_TIMEOUT, total_timeout=TOTAL_TIMEOUT,
                                   allow_private=allow_private, max_redirects=0, min_rate=0)
        self._schedule = schedule
        self._disable_after = disable_after
        self._lease_seconds = max(lease_seconds, ATTEMPT_LEASE)

    def deliver(self, delivery_id: int, lease: str) -> str | None:
        """Attempt the delivery the lease ``lease`` was handed out for; returns its status
        after the attempt, or None when the lease was no longer its own (nothing sent)."""
        with unit_of_work():
            attempt = webhooks.start_attempt(delivery_id, lease, self._lease_seconds)
        if attempt is None:
            return None
        # The connection went back to the pool: none is held while the receiver thinks.
        status, error, answer = None, None, None
        try:
            reply = post(attempt.url, attempt.body, signature_headers(attempt), self._limits,
                         answer_bytes=ANSWER_BYTES)
        except ImageJobError as failure:
            error = str(failure)
        else:
            status, answer = reply.status, reply.body.decode("utf-8", "replace")
        succeeded = status is not None and 200 <= status < 300
        with unit_of_work():
            outcome = webhooks.record_attempt(
                attempt, succeeded=succeeded, http_status=status, error=error,
                response=answer.replace("\x00", "") if answer else answer,
                schedule=self._schedule, disable_after=self._disable_after)
        logger.info("webhook delivery %s: %s", delivery_id, outcome,
                    extra={"event": "webhook_attempt", "delivery_id": delivery_id,
                           "http_status": status, "outcome": outcome})
        return outcome


def declare_delivery_actor(broker: dramatiq.Broker, deliverer: Deliverer) -> dramatiq.Actor:
    """The ``deliver_webhook`` actor on its own queue. It is never retried by Dramatiq: a
    failed attempt is recorded and rescheduled in its row, and an error before that leaves
    the lease to run out."""

    def deliver_webhook(delivery_id: int, lease: str) -> None:
        deliverer.deliver(delivery_id, lease)

    return dramatiq.actor(deliver_webhook, broker=broker, actor_name=DELIVER_WEBHOOK,
                          queue_name=WEBHOOK_QUEUE, max_retries=0)


def run_forever(step: Callable[[], int], stop: threading.Event, *, name: str) -> None:
    """``step`` until ``stop`` is set: again at once after a full batch, after a short wait
    otherwise, and after a longer one when it fails (database or broker down)."""
    failing = False
    while not stop.is_set():
        try:
            done = step()
        except Exception as error:  # noqa: BLE001 - anything: log once, back off, try again
            if not failing:
                logger.warning("webhook %s failing; will keep trying: %s", name, error,
                               extra={"event": f"webhook_{name}",
                                      "error_type": type(error).__name__})
            failing = True
            stop.wait(FAILURE_BACKOFF)
            continue
        failing = False
        if done < BATCH_SIZE:
            stop.wait(POLL_INTERVAL)


def webhook_loops(settings: Settings) -> dict[str, Loop]:
    """The fan-out and the dispatcher, worker loops by their threads' names."""
    lease_seconds = settings.webhook_lease_seconds

    def dispatch(broker: dramatiq.Broker, stop: threading.Event) -> None:
        run_forever(lambda: dispatch_once(broker, lease_seconds=lease_seconds), stop,
                    name="dispatch")

    return {
        "webhook-fan-out": lambda _broker, stop: run_forever(fan_out_once, stop,
                                                             name="fan-out"),
        "webhook-dispatch": dispatch,
    }


class SharedThreadsWarning(dramatiq.Middleware):
    """Says at boot when one worker process consumes both the image queue and the webhooks
    queue: its threads are shared, so receivers that hang for their 10 s would hold threads
    that images wait for (docs/api.md wants them apart: ``--queues images`` and
    ``--queues webhooks``, as the Procfile and compose run them)."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        queues = worker.consumer_whitelist
        if not queues or {IMAGE_QUEUE, WEBHOOK_QUEUE} <= set(queues):
            logger.warning(
                "this worker consumes both the %s and the %s queue, so slow webhook receivers"
                " can hold threads images need; run `dramatiq jobs.worker --queues %s` and"
                " `dramatiq jobs.worker --queues %s` apart", IMAGE_QUEUE, WEBHOOK_QUEUE,
                IMAGE_QUEUE, WEBHOOK_QUEUE, extra={"event": "shared_worker_threads"})


def deliverer_from_settings(settings: Settings) -> Deliverer:
    return Deliverer(allow_private=settings.image_fetch_allow_private,
                     schedule=settings.webhook_retry_schedule,
                     disable_after=settings.webhook_disable_after,
                     lease_seconds=settings.webhook_lease_seconds)
