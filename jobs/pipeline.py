"""What happens to one image, and to a deleted product's copies: guards, then named steps.

The actors in :mod:`jobs.actors` are envelopes around these functions; each step
(:func:`jobs.fetch.fetch_image`, :func:`jobs.compress.compress_image`,
:meth:`jobs.storage.ImageStore.put`) is tested on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dramatiq

from core.cache import ProductCache
from core.unit_of_work import unit_of_work
from jobs.compress import CompressOptions, compress_image
from jobs.errors import ImageJobError, PermanentError
from jobs.fetch import FetchLimits, fetch_image
from jobs.metrics import ImageMetrics
from jobs.storage import ImageStore
from models.db import release
from models.dead_letters import DeadLetter, archive
from models.jobs import PROCESS_IMAGE, ImageJob, ProductImagesJob, payload_of
from models.products import copy_in_use, get_product, record_image_failure, write_copy

logger = logging.getLogger("jobs.events")


@dataclass(frozen=True)
class JobContext:
    """What the log lines of one job carry (SPEC section 5)."""

    message_id: str | None
    product_id: int
    image_index: int | None
    request_id: str | None

    def fields(self, event: str, **extra: object) -> dict:
        return {"event": event, "message_id": self.message_id, "product_id": self.product_id,
                "image_index": self.image_index, "request_id": self.request_id, **extra}


@contextmanager
def _timed(context: JobContext, event: str, **extra: object) -> Iterator[dict]:
    """Log ``event`` with its duration once the block ends; the block may add fields."""
    fields: dict = dict(extra)
    started = time.perf_counter()
    yield fields
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    logger.info(event, extra=context.fields(event, **fields))


class ImagePipeline:
    """Turns a product's source image into its stored, compressed copy.

    Parameters:
      limits: download limits (IMAGE_MAX_BYTES, IMAGE_FETCH_* settings).
      options: compression options (IMAGE_MAX_PIXELS, IMAGE_MAX_DIMENSION, IMAGE_FORMAT...).
      store: the bucket of copies.
      cache: the product cache, invalidated after every write, exactly as the API does.
      metrics: counts what happened to each image.
    """

    def __init__(self, *, limits: FetchLimits, options: CompressOptions, store: ImageStore,
                 cache: ProductCache, metrics: ImageMetrics) -> None:
        self._metrics = metrics
        self._limits = limits
        self._options = options
        self._store = store
        self._cache = cache

    def process_image(self, job: ImageJob, *, message_id: str | None = None) -> None:
        """Download, compress, store and record the copy of ``job.url`` for the product."""
        product_id, url, request_id = job
        try:
            product = get_product(product_id)
        finally:
            # Not held through the download and compression, which take seconds.
            release()
        index = product.product_images.index(url) if product and url in product.product_images \
            else None
        context = JobContext(message_id, product_id, index, request_id)
        # Guards: gone, edited away, or done by an earlier delivery of this message.
        if product is None or index is None:
            logger.info("skipped", extra=context.fields("skipped", reason="image no longer wanted"))
            return
        pairs = zip(product.product_images, product.compressed_product_images, strict=True)
        if all(copy is not None for source, copy in pairs if source == url):
            logger.info("skipped", extra=context.fields("skipped", reason="already done"))
            return

        with _timed(context, "download") as fields:
            fetched = fetch_image(url, self._limits)
            fields["bytes_in"] = len(fetched.data)
        with _timed(context, "compress", bytes_in=len(fetched.data)) as fields:
            compressed = compress_image(fetched.data, self._options)
            fields["bytes_out"] = len(compressed.data)
            fields["kept_source"] = compressed.kept_source
        with _timed(context, "upload", bytes_out=len(compressed.data)):
            stored = self._store.put(product_id, compressed.data, extension=compressed.extension,
                                     content_type=compressed.content_type)
        with _timed(context, "done", bytes_in=len(fetched.data),
                    bytes_out=len(compressed.data)) as fields:
            with unit_of_work(self._cache) as work:
                written = write_copy(product_id, url, stored.url)
                in_use = written or copy_in_use(product_id, stored.url)
                if written:
                    work.invalidate(product_id)
            fields["written"] = written
            if written:
                self._metrics.image_processed(len(fetched.data), len(compressed.data))
            elif not in_use:
                # The product was deleted or edited while we worked: drop the orphan copy.
                self._store.remove([stored.key])

    def delete_product_images(self, job: ProductImagesJob) -> None:
        """Remove every stored copy of a deleted product."""
        product_id = job.product_id
        context = JobContext(None, product_id, None, None)
        with _timed(context, "deleted_copies") as fields:
            fields["objects"] = self._store.remove_product(product_id)

    def record_dead_letter(self, message: dramatiq.Message,
                           exception: BaseException | None) -> None:
        """Record a message that failed for good: on the product, and in the archive."""
        kwargs = dict(message.kwargs)
        payload = payload_of(message.actor_name, kwargs)
        product_id = payload.product_id if payload else None
        url = payload.url if isinstance(payload, ImageJob) else None
        request_id = payload.request_id if isinstance(payload, ImageJob) else None
        permanent = isinstance(exception, PermanentError)
        attempts = message.options.get("retries", 0) + (1 if permanent else 0)
        reason = failure_reason(exception, attempts=attempts)
        context = JobContext(message.message_id, product_id, None, request_id)
        with unit_of_work(self._cache) as work:
            if url is not None:
                record_image_failure(product_id, url, reason)
            archive(DeadLetter(
                message_id=message.message_id, queue_name=message.queue_name,
                actor_name=message.actor_name, kwargs=kwargs, product_id=product_id,
                image_url=url, reason=reason, attempts=attempts, failed_at=None,
            ))
            if product_id:
                work.invalidate(product_id)
        if message.actor_name == PROCESS_IMAGE:
            self._metrics.image_failed()
        self._metrics.dead_lettered()
        logger.warning("failed", extra=context.fields("failed", reason=reason, attempts=attempts))
        logger.warning("dead_lettered", extra=context.fields("dead_lettered", reason=reason))


def failure_reason(exception: BaseException | None, *, attempts: int) -> str:
    """The short reason shown to clients in ``image_errors`` (no internals, no secrets)."""
    if isinstance(exception, PermanentError):
        return str(exception)
    if isinstance(exception, ImageJobError):
        return f"{exception} (gave up after {attempts} attempts)"
    return f"internal error (gave up after {attempts} attempts)"
