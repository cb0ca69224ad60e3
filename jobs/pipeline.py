"""What happens to one image, and to a deleted product's copies: guards, then named steps.

The actors in :mod:`jobs.actors` are envelopes around these functions; each step
(:func:`jobs.fetch.fetch_image`, :func:`jobs.compress.compress_image`,
:meth:`jobs.storage.ImageStore.put`) is tested on its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from core.cache import ProductCache
from core.unit_of_work import unit_of_work
from jobs.compress import CompressOptions, compress_image
from jobs.events import JobContext, logger
from jobs.fetch import FetchLimits, fetch_image
from jobs.metrics import ImageMetrics
from jobs.source_slots import SourceSlots
from jobs.storage import ImageStore
from models.db import release
from models.jobs import ImageJob, ProductImagesJob
from models.products import copy_in_use, get_product, write_copy


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
      metrics: counts the images processed.
      slots: the process's download slots per source (IMAGE_FETCH_PER_HOST).
    """

    def __init__(self, *, limits: FetchLimits, options: CompressOptions, store: ImageStore,
                 cache: ProductCache, metrics: ImageMetrics, slots: SourceSlots) -> None:
        self._metrics = metrics
        self._slots = slots
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

        # A busy source raises SourceBusy here, before any connection: the job goes back on
        # the queue and this thread takes another source's image.
        with self._slots.slot(url), _timed(context, "download") as fields:
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
