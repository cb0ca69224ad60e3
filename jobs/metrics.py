"""The image worker's own Prometheus metrics, beside Dramatiq's (``dramatiq_*``).

Dramatiq's Prometheus middleware points prometheus_client at a multiprocess directory in
``after_process_boot`` and serves every worker process's samples on ``dramatiq_prom_port``
(9191). prometheus_client picks its storage when first imported, so these counters are made
only after that, in this middleware's own ``after_process_boot``; the broker lists this
middleware before Dramatiq's so that its "after" hook runs second.
"""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import Middleware


class ImageMetrics(Middleware):
    """Counts images processed and failed, bytes in and out, the encoder quality chosen, dead
    letters, and jobs put back because their source was busy."""

    def __init__(self) -> None:
        self._counters: dict = {}

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        from prometheus_client import Counter, Histogram

        self._counters = {
            "processed": Counter("images_processed_total",
                                 "Images whose compressed copy was stored and recorded."),
            "failed": Counter("images_failed_total",
                              "Images that failed for good (recorded on the product)."),
            "bytes_in": Counter("image_bytes_in_total", "Bytes of source images downloaded."),
            "bytes_out": Counter("image_bytes_out_total", "Bytes of compressed copies stored."),
            "rerender_failed": Counter("images_rerender_failed_total",
                                       "Re-renders that failed for good (the old set kept)."),
            "dead_letters": Counter("dead_letters_total",
                                    "Messages that failed for good and were archived."),
            "source_busy": Counter("image_source_busy_total",
                                   "Jobs put back on the queue because their source had every "
                                   "download slot of the process taken (not retries)."),
            "quality": Histogram("image_encoder_quality", "Encoder quality chosen per format "
                                 "and image (IMAGE_QUALITY_MODE).", ["format"],
                                 buckets=(40, 50, 60, 70, 75, 80, 85, 90, 95, 100)),
            "score": Histogram("image_quality_score", "Proxy score of the chosen quality "
                               "(target mode; SSIMULACRA2 scale).", ["format"],
                               buckets=(50, 60, 65, 70, 75, 80, 85, 90, 100)),
        }

    def _add(self, name: str, amount: float = 1) -> None:
        counter = self._counters.get(name)
        if counter is not None:  # not booted as a worker (a CLI, a test): count nothing
            counter.inc(amount)

    def image_processed(self, bytes_in: int, bytes_out: int) -> None:
        self._add("processed")
        self._add("bytes_in", bytes_in)
        self._add("bytes_out", bytes_out)

    def quality_chosen(self, fmt: str, quality: int, score: float | None) -> None:
        """One format's encoder quality for one image, and its proxy score when searched."""
        if "quality" not in self._counters:
            return
        self._counters["quality"].labels(format=fmt).observe(quality)
        if score is not None:
            self._counters["score"].labels(format=fmt).observe(score)

    def image_failed(self) -> None:
        self._add("failed")

    def rerender_failed(self) -> None:
        self._add("rerender_failed")

    def dead_lettered(self) -> None:
        self._add("dead_letters")

    def source_busy(self) -> None:
        self._add("source_busy")
