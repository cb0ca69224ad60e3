"""Dead letters: recording a message that failed for good, and the operators' tool that
works from the durable archive in PostgreSQL.

    python -m jobs.deadletters list
    python -m jobs.deadletters replay --all | MESSAGE_ID...
    python -m jobs.deadletters purge --all | MESSAGE_ID...

``replay`` and ``purge`` are :mod:`core.dead_letters`'s, which the admin endpoints use too: replay
queues each job again through the outbox with a fresh retry budget and makes the
image pending again (its error cleared); ``purge`` drops the record. RabbitMQ's own copy in
``images.XQ`` expires by itself after seven days; the archive is what counts.
"""

from __future__ import annotations

import argparse
import sys

import dramatiq

from core.cache import ProductCache, cache_from_settings
from core.dead_letters import is_message_id, purge, replay
from core.logs import configure_logging
from core.settings import Settings, load_or_exit
from core.unit_of_work import unit_of_work
from jobs.errors import ImageJobError, PermanentError
from jobs.events import JobContext, logger
from jobs.metrics import ImageMetrics
from models.db import bind
from models.dead_letters import DeadLetter, archive, list_all
from models.failures import FailureCode, ImageFailure
from models.jobs import PROCESS_IMAGE, ImageJob, payload_of
from models.products import has_copy, record_image_failure


def record_dead_letter(message: dramatiq.Message, exception: BaseException | None, *,
                       cache: ProductCache, metrics: ImageMetrics) -> None:
    """Record a message that failed for good: on the product, and in the archive.

    Parameters:
      exception: the last attempt's error; it decides the reason shown to clients.
      cache: the product cache, invalidated once the failure is committed.
      metrics: counts the failed image and the dead letter.
    """
    kwargs = dict(message.kwargs)
    payload = payload_of(message.actor_name, kwargs)
    product_id = payload.product_id if payload else None
    url = payload.url if isinstance(payload, ImageJob) else None
    request_id = payload.request_id if isinstance(payload, ImageJob) else None
    permanent = isinstance(exception, PermanentError)
    attempts = message.options.get("retries", 0) + (1 if permanent else 0)
    failure = image_failure(exception, attempts=attempts)
    reason = failure.message
    context = JobContext(message.message_id, product_id, None, request_id)
    rerender = False
    with unit_of_work(cache) as work:
        if url is not None and not record_image_failure(product_id, url, failure):
            # A re-render that failed: the old set stays, and so does image_status.
            rerender = has_copy(product_id, url)
        archive(DeadLetter(
            message_id=message.message_id, queue_name=message.queue_name,
            actor_name=message.actor_name, kwargs=kwargs, product_id=product_id,
            image_url=url, reason=reason, attempts=attempts, failed_at=None,
            code=failure.code, http_status=failure.http_status,
        ))
        if product_id:
            work.invalidate(product_id)
    if rerender:
        metrics.rerender_failed()
    elif message.actor_name == PROCESS_IMAGE:
        metrics.image_failed()
    metrics.dead_lettered()
    event = "rerender_failed" if rerender else "failed"
    logger.warning(event, extra=context.fields(
        event, reason=reason, code=failure.code, attempts=attempts))
    logger.warning("dead_lettered", extra=context.fields(
        "dead_lettered", reason=reason, code=failure.code))


def image_failure(exception: BaseException | None, *, attempts: int) -> ImageFailure:
    """What is recorded for a job whose last attempt raised ``exception``.

    Anything but the pipeline's own errors (a bug, a time limit, a database error) is
    ``INTERNAL``; it was retried like a transient error, so a replay may succeed.
    """
    code = exception.code if isinstance(exception, ImageJobError) else FailureCode.INTERNAL
    return ImageFailure(
        code=code,
        message=failure_reason(exception, attempts=attempts),
        retryable=not isinstance(exception, PermanentError),
        attempts=attempts,
        http_status=exception.http_status if isinstance(exception, ImageJobError) else None,
    )


def failure_reason(exception: BaseException | None, *, attempts: int) -> str:
    """The short reason shown to clients in ``image_errors`` (no internals, no secrets)."""
    if isinstance(exception, PermanentError):
        return str(exception)
    if isinstance(exception, ImageJobError):
        return f"{exception} (gave up after {attempts} attempts)"
    return f"internal error (gave up after {attempts} attempts)"


def _valid_ids(ids: list[str]) -> list[str]:
    for message_id in ids:
        if not is_message_id(message_id):
            raise SystemExit(f"not a message id: {message_id!r}")
    return ids


def _print_table(letters: list[DeadLetter]) -> None:
    if not letters:
        print("no dead letters")
        return
    print("message_id\tproduct\turl\tcode\treason\tattempts\tfailed_at")
    for letter in letters:
        print("\t".join(str(value) for value in (
            letter.message_id, letter.product_id, letter.image_url,
            # Archived before codes were recorded: there is none to show.
            letter.code or "-", letter.reason,
            letter.attempts, letter.failed_at.isoformat(timespec="seconds"))))


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.deadletters", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="show every dead letter")
    for name in ("replay", "purge"):
        command = commands.add_parser(name, help=f"{name} dead letters")
        command.add_argument("--all", action="store_true", help=f"{name} every dead letter")
        command.add_argument("message_ids", nargs="*", metavar="MESSAGE_ID")
    args = parser.parse_args(argv)
    if args.command != "list" and bool(args.all) == bool(args.message_ids):
        parser.error(f"{args.command} takes --all or message ids, not both or neither")

    if settings is None:
        settings = load_or_exit()
    configure_logging("WARNING")
    bind(settings.database_url, max_connections=2)
    if args.command == "list":
        _print_table(list_all())
        return 0
    ids = None if args.all else _valid_ids(args.message_ids)
    if args.command == "replay":
        done = replay(ids, cache_from_settings(settings))
    else:
        done = purge(ids)
    print(f"{args.command}: {len(done)} dead letter(s)")
    for letter in done:
        print(letter.message_id)
    missing = set(ids or ()) - {letter.message_id for letter in done}
    for message_id in sorted(missing):
        print(f"not found: {message_id}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
