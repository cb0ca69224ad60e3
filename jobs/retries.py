"""Dramatiq's Retries, plus three things it does not do: record every message that fails for
good as a dead letter, never lose a message whose retry cannot be re-enqueued, and put a job
whose source is busy back on the queue without counting it as a retry."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.middleware import Retries

from core.cache import ProductCache
from jobs.deadletters import record_dead_letter
from jobs.metrics import ImageMetrics
from jobs.source_slots import BUSY_DELAY_MS, SourceBusy
from models.jobs import ImageJob, payload_of

logger = logging.getLogger(__name__)


class DeadLetteringRetries(Retries):
    """Retries with exponential backoff; permanent errors (the actor's ``throws``) and
    exhausted retries are recorded (:func:`jobs.deadletters.record_dead_letter`) inside the
    worker thread, before RabbitMQ dead-letters the message to ``<queue>.XQ``; when recording
    fails, the message is enqueued again after ``min_backoff``. A job that raised
    :class:`jobs.source_slots.SourceBusy` is enqueued again after ``BUSY_DELAY_MS``, with its
    retry count as it was: it did not fail, its source only had no free download slot.

    Parameters:
      cache: the product cache, invalidated once a failure is recorded on a product.
      metrics: counts failed images and dead letters.
      The other parameters are those of :class:`dramatiq.middleware.Retries` (milliseconds).
    """

    def __init__(self, *, cache: ProductCache, metrics: ImageMetrics,
                 **options: object) -> None:
        super().__init__(**options)
        self._cache = cache
        self._metrics = metrics

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message, *,
                              result: object = None,
                              exception: BaseException | None = None) -> None:
        if isinstance(exception, SourceBusy):
            self._put_back(broker, message)
        else:
            self._retry(broker, message, result=result, exception=exception)
        if message.failed:
            self._record(broker, message, exception)

    def _put_back(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        """Enqueue a busy source's job again, neither counted as a retry nor recorded: the
        delay queue holds it, not a worker thread, until it is tried again."""
        try:
            broker.enqueue(message, delay=BUSY_DELAY_MS)
        except Exception as error:  # noqa: BLE001 - any failure to re-enqueue
            self._enqueue_failed(message, error)
            return
        self._metrics.source_busy()
        # Debug: a slow source puts its jobs back every second, and the metric counts them.
        logger.debug("source_busy", extra=self._fields("source_busy", message))

    def _retry(self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: object,
               exception: BaseException | None) -> None:
        try:
            super().after_process_message(broker, message, result=result, exception=exception)
        except Exception as error:  # noqa: BLE001 - any failure to re-enqueue
            self._enqueue_failed(message, error)
        if exception is not None and not message.failed:
            logger.info("retry", extra=self._fields(
                "retry", message, attempt=message.options.get("retries"),
                error_type=type(exception).__name__, error=str(exception)))

    @staticmethod
    def _enqueue_failed(message: dramatiq.Message, error: Exception) -> None:
        # Stock Retries would let the worker ack the message here and lose it (upstream
        # PR 545): fail it instead, so that it is dead-lettered and recorded.
        logger.error(
            "could not enqueue %r again; dead-lettering it", message.message_id,
            extra={"event": "retry", "message_id": message.message_id,
                   "error_type": type(error).__name__, "error": str(error)},
        )
        message.fail()

    @staticmethod
    def _fields(event: str, message: dramatiq.Message, **extra: object) -> dict:
        payload = payload_of(message.actor_name, message.kwargs)
        return {
            "event": event, "message_id": message.message_id,
            "product_id": payload.product_id if payload else None,
            "request_id": payload.request_id if isinstance(payload, ImageJob) else None,
            **extra,
        }

    def _record(self, broker: dramatiq.Broker, message: dramatiq.Message,
                exception: BaseException | None) -> None:
        try:
            record_dead_letter(message, exception, cache=self._cache, metrics=self._metrics)
        except Exception:  # noqa: BLE001 - the database is likely down
            logger.exception(
                "could not record dead letter %r; running it again later", message.message_id,
                extra={"event": "dead_lettered", "message_id": message.message_id},
            )
            # Unrecorded, the product would stay pending forever: run the job again after
            # a backoff, when it fails (or succeeds) with the database back.
            try:
                broker.enqueue(message, delay=self.min_backoff)
            except Exception:  # noqa: BLE001 - RabbitMQ's XQ copy is all that is left
                logger.exception("could not re-enqueue %r", message.message_id)
