"""What happens to one image, and to a deleted product's copies: guards, then named steps.

The actors in :mod:`jobs.actors` are envelopes around these functions; each step
(:func:`jobs.fetch.fetch_image`, :func:`jobs.ladder.render_ladder`,
:func:`jobs.placeholder.placeholder`, :meth:`jobs.storage.ImageStore.put`) is tested on its
own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from core.cache import ProductCache
from jobs.events import JobContext, logger
from jobs.fetch import FetchLimits, fetch_image
from jobs.ladder import Ladder, LadderOptions, render_ladder
from jobs.metrics import ImageMetrics
from jobs.placeholder import placeholder
from jobs.revision import settings_revision
from jobs.source_slots import SourceSlots
from jobs.storage import ImageStore, StoredObject
from models.db import db, release
from models.jobs import ImageJob, ProductImagesJob
from models.media import media_record
from models.products import copy_in_use, get_product, keys_in_use, replace_set
from models.retired import uploading


@contextmanager
def _timed(context: JobContext, event: str, **extra: object) -> Iterator[dict]:
    """Log ``event`` with its duration once the block ends; the block may add fields."""
    fields: dict = dict(extra)
    started = time.perf_counter()
    yield fields
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    logger.info(event, extra=context.fields(event, **fields))


class ImagePipeline:
    """Turns a product's source image into its stored rendition set.

    Parameters:
      limits: download limits (IMAGE_MAX_BYTES, IMAGE_FETCH_* settings).
      ladder: the renditions to make (IMAGE_WIDTHS, IMAGE_FORMATS, IMAGE_FORMAT...).
      store: the bucket of copies.
      cache: the product cache, invalidated after every write, exactly as the API does.
      metrics: counts the images processed.
      slots: the process's download slots per source (IMAGE_FETCH_PER_HOST).
      grace_days: how long the objects of a set this pipeline replaces are kept
        (RERENDER_GRACE_DAYS).
    """

    def __init__(self, *, limits: FetchLimits, ladder: LadderOptions, store: ImageStore,
                 cache: ProductCache, metrics: ImageMetrics, slots: SourceSlots,
                 grace_days: int = 7) -> None:
        self._grace_days = grace_days
        self._metrics = metrics
        self._slots = slots
        self._limits = limits
        self._ladder = ladder
        self._revision = settings_revision(ladder)
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
        # Guards: gone, edited away, or done with these settings (an earlier delivery of
        # this message). A set made with other settings, or a legacy copy without a record,
        # is re-rendered (jobs.rerender queued it): the old set stays until the new replaces it.
        if product is None or index is None:
            logger.info("skipped", extra=context.fields("skipped", reason="image no longer wanted"))
            return
        pairs = zip(product.product_images, product.compressed_product_images, strict=True)
        copied = all(copy is not None for source, copy in pairs if source == url)
        record = product.image_media.get(url)
        if copied and record is not None and record.get("revision") == self._revision:
            logger.info("skipped", extra=context.fields("skipped", reason="already done"))
            return

        # A busy source raises SourceBusy here, before any connection: the job goes back on
        # the queue and this thread takes another source's image.
        with self._slots.slot(url), _timed(context, "download") as fields:
            fetched = fetch_image(url, self._limits)
            fields["bytes_in"] = len(fetched.data)
        with _timed(context, "compress", bytes_in=len(fetched.data)) as fields:
            ladder = render_ladder(fetched.data, self._ladder)
            shown = placeholder(ladder.thumbnail)
            bytes_out = sum(len(r.data) for r in ladder.renditions)
            fields.update(bytes_out=bytes_out, renditions=len(ladder.renditions),
                          left_out=list(ladder.left_out))
        # From the first upload to the commit, the cleanup of retired objects keeps off
        # this product: a key it retired may be one this set brings back.
        with uploading(product_id):
            with _timed(context, "upload", bytes_out=bytes_out):
                stored = self._upload(product_id, ladder)
            record = self._record(ladder, stored, shown.blurhash, shown.dominant_color,
                                  source_bytes=len(fetched.data))
            started = time.perf_counter()
            with db.atomic():
                written = replace_set(product_id, url, record["copy"], record,
                                      self._grace_days)
                in_use = written or copy_in_use(product_id, record["copy"])
        # As unit_of_work does: committed, the connection back in the pool, then the cache.
        if written:
            self._cache.invalidate(product_id)
        logger.info("done", extra=context.fields(
            "done", bytes_in=len(fetched.data), bytes_out=bytes_out, rerender=copied,
            written=written, duration_ms=round((time.perf_counter() - started) * 1000, 2)))
        if written:
            self._metrics.image_processed(len(fetched.data), bytes_out)
            for fmt, choice in ladder.choices.items():
                self._metrics.quality_chosen(fmt, choice.quality, choice.score)
        elif not in_use:
            # The product was deleted or edited while we worked: drop the orphans.
            self._discard(product_id, [each.key for each in stored])

    def _upload(self, product_id: int, ladder: Ladder) -> list[StoredObject]:
        """Every rendition, before any is recorded: a recorded URL never points at a missing
        object. What a failed upload leaves behind is removed, unless something recorded uses
        it; a retry writes the same bytes under the same keys."""
        stored: list[StoredObject] = []
        try:
            for rendition in ladder.renditions:
                stored.append(self._store.put(product_id, rendition.data,
                                              extension=rendition.extension,
                                              content_type=rendition.content_type))
        except Exception:
            # Inside uploading()'s transaction: the connection must stay this thread's.
            self._discard(product_id, [each.key for each in stored], quietly=True,
                          keep_connection=True)
            raise
        return stored

    def _record(self, ladder: Ladder, stored: list[StoredObject], blurhash: str,
                dominant_color: str, *, source_bytes: int) -> dict:
        shown = [{"format": r.format, "width": r.width, "height": r.height,
                  "bytes": len(r.data), "url": each.url, "kept": r.kept_source,
                  "quality": r.quality, "score": r.score}
                 for r, each in zip(ladder.renditions, stored, strict=True)]
        stand_in = next((r for r in shown if r["kept"]), None)
        return media_record(
            width=ladder.source_width, height=ladder.source_height,
            placeholder={"blurhash": blurhash, "dominant_color": dominant_color},
            renditions=[r for r in shown if not r["kept"]], stand_in=stand_in,
            # A set that left out a format is not the current revision's set: a redelivery
            # or `jobs.rerender` makes it again, and tries that format once more.
            revision=None if ladder.left_out else self._revision,
            required_format=self._ladder.required, source_bytes=source_bytes)

    def _discard(self, product_id: int, keys: list[str], *, quietly: bool = False,
                 keep_connection: bool = False) -> None:
        """Remove ``keys`` that no recorded rendition set or copy of the product uses."""
        try:
            used = keys_in_use(product_id, keys)
            self._store.remove([key for key in keys if key not in used])
        except Exception:  # noqa: BLE001 - only when the job is failing already
            if not quietly:
                raise
            logger.warning("could not remove unrecorded objects", extra={
                "event": "orphans", "product_id": product_id, "objects": len(keys)})
        finally:
            if not keep_connection:
                release()

    def delete_product_images(self, job: ProductImagesJob) -> None:
        """Remove every stored copy of a deleted product."""
        product_id = job.product_id
        context = JobContext(None, product_id, None, None)
        with _timed(context, "deleted_copies") as fields:
            fields["objects"] = self._store.remove_product(product_id)
