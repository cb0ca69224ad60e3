"""Events retention (docs/api.md): events older than ``EVENTS_RETENTION_DAYS`` are deleted
by a thread in every worker process (:func:`events_pruner`), as the outbox relay runs, so no
process or cron entry has to be remembered.

Each pass deletes in bounded batches, each its own short transaction (no long lock, no huge
WAL burst), until a batch comes back short. Several processes at once are safe: a batch locks
its rows with ``FOR UPDATE SKIP LOCKED``, so pruners split the work instead of waiting on each
other. ``python -m jobs.retention`` runs one pass, for those who prefer a schedule of their own.
"""

from __future__ import annotations

import logging
import threading

from core.logs import configure_logging
from core.settings import Settings, load_or_exit
from core.unit_of_work import unit_of_work
from jobs.background import Loop
from models import events
from models.db import bind

logger = logging.getLogger(__name__)

#: Seconds between passes: retention is counted in days, so a pass every few minutes keeps
#: the table within minutes of it at the cost of one indexed probe per process.
PRUNE_INTERVAL = 300.0
#: Seconds before the first pass, so a worker's start is not slowed by it.
FIRST_PASS_DELAY = 5.0
BATCH_SIZE = 1000


def prune_expired(retention_days: int, *, batch_size: int = BATCH_SIZE,
                  stop: threading.Event | None = None) -> int:
    """Delete every expired event, one batch per transaction; returns how many."""
    total = 0
    while stop is None or not stop.is_set():
        with unit_of_work():
            deleted = events.prune(retention_days, batch_size=batch_size)
        total += deleted
        if deleted < batch_size:
            break
    return total


def prune_forever(retention_days: int, stop: threading.Event, *,
                  interval: float = PRUNE_INTERVAL, first_delay: float = FIRST_PASS_DELAY) -> None:
    """A pass every ``interval`` seconds until ``stop`` is set; failures wait for the next."""
    stop.wait(first_delay)
    while not stop.is_set():
        try:
            deleted = prune_expired(retention_days, stop=stop)
        except Exception as error:  # noqa: BLE001 - the database is likely down: next pass
            logger.warning("events pruning failed; will try again: %s", error,
                           extra={"event": "events_pruned", "error_type": type(error).__name__})
        else:
            if deleted:
                logger.info("pruned %d expired events", deleted,
                            extra={"event": "events_pruned", "events": deleted})
        stop.wait(interval)


def events_pruner(retention_days: int, *,
                  interval: float = PRUNE_INTERVAL) -> dict[str, Loop]:
    """The worker loop that runs :func:`prune_forever` (``interval``: tests shorten it), by
    its thread's name."""
    return {"events-pruner":
            lambda _broker, stop: prune_forever(retention_days, stop, interval=interval)}


def main(settings: Settings | None = None) -> None:
    """One pass, then exit."""
    if settings is None:
        settings = load_or_exit()
    configure_logging(settings.log_level)
    bind(settings.database_url, max_connections=1)
    deleted = prune_expired(settings.events_retention_days)
    print(f"pruned {deleted} expired event(s)")


if __name__ == "__main__":
    main()
