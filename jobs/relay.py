"""The outbox relay: publishes the jobs that writers recorded in the ``outbox`` table.

It runs as a thread inside every worker process (:class:`OutboxRelay`), so no process has to
be remembered, and as ``python -m jobs.relay`` for those who prefer one of its own. Several
relays at once are safe: each takes rows with ``FOR UPDATE SKIP LOCKED``. A row is deleted
in the same transaction that locked it, after RabbitMQ confirmed the publish; a crash in
between publishes it again, which idempotent actors absorb.
"""

from __future__ import annotations

import logging
import threading
import time

import dramatiq
from dramatiq.middleware import Middleware

from core.logs import configure_logging
from core.settings import Settings, load_or_exit
from core.unit_of_work import unit_of_work
from jobs.broker import build_broker
from models.db import bind
from models.outbox import remove, take_batch

logger = logging.getLogger(__name__)

#: Seconds between looks at an empty outbox.
POLL_INTERVAL = 0.2
#: Seconds to wait after a failure (database or broker down) before trying again.
FAILURE_BACKOFF = 2.0
BATCH_SIZE = 100


def relay_once(broker: dramatiq.Broker, *, batch_size: int = BATCH_SIZE) -> int:
    """Publish one batch of outbox rows; returns how many were published."""
    with unit_of_work():
        rows = take_batch(batch_size)
        for row in rows:
            broker.enqueue(dramatiq.Message(
                queue_name=row.queue_name, actor_name=row.actor_name, args=(),
                kwargs=row.kwargs, options={}, message_id=row.message_id,
                message_timestamp=int(time.time() * 1000),
            ))
        if rows:
            remove([row.id for row in rows])
    return len(rows)


def relay_forever(broker: dramatiq.Broker, stop: threading.Event) -> None:
    """Relay until ``stop`` is set, riding out database and broker outages."""
    failing_since: float | None = None
    while not stop.is_set():
        try:
            published = relay_once(broker)
        except Exception as error:  # noqa: BLE001 - anything: log, back off, try again
            if failing_since is None:
                failing_since = time.monotonic()
                logger.warning(
                    "outbox relay failing; will keep trying: %s", error,
                    extra={"error_type": type(error).__name__, "error": str(error)},
                )
            stop.wait(FAILURE_BACKOFF)
            continue
        if failing_since is not None:
            logger.info("outbox relay recovered after %.1f s", time.monotonic() - failing_since)
            failing_since = None
        if published < BATCH_SIZE:
            stop.wait(POLL_INTERVAL)


class OutboxRelay(Middleware):
    """Runs :func:`relay_forever` in a thread of each worker process."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._thread = threading.Thread(
            target=relay_forever, args=(broker, self._stop), name="outbox-relay", daemon=True
        )
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def main(settings: Settings | None = None) -> None:
    """The standalone relay: the database and a broker that only publishes, nothing else."""
    if settings is None:
        settings = load_or_exit()
    configure_logging(settings.log_level)
    bind(settings.database_url, max_connections=2)
    broker = build_broker(settings, middleware=[])
    stop = threading.Event()
    logger.info("outbox relay started")
    try:
        relay_forever(broker, stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
