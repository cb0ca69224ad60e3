"""At most a few downloads at once per source, in each worker process.

A source is a URL's scheme, host and port. A job whose source already has its downloads
running does not wait for a slot: it raises :class:`SourceBusy`, and the retries middleware
puts the message back on the queue with a short delay, not counted as a retry. So a slow or
hostile source holds at most ``per_source`` of a worker's threads, and the others keep
working through everyone else's images.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dramatiq import RateLimitExceeded

from core.urls import parse_image_url
from jobs.errors import ImageJobError

#: Milliseconds a busy source's job waits on the queue before it is tried again.
BUSY_DELAY_MS = 1_000


class SourceBusy(ImageJobError, RateLimitExceeded):
    """Every download slot of the job's source is taken; try the job again shortly.

    Neither transient nor permanent: it is no failure of the job. Being a RateLimitExceeded
    (what Dramatiq's own rate limiters raise) makes the worker log it at debug level, without
    the error and traceback it logs for other exceptions.
    """


def source_of(url: str) -> tuple[str, str, int]:
    """The (scheme, host, port) a download of ``url`` connects to first, read by the one URL
    parser the API and the fetcher use; raises ValueError for a URL it refuses."""
    parsed = parse_image_url(url)
    return parsed.scheme, parsed.host, parsed.effective_port


class SourceSlots:
    """Counts the downloads running per source in this process.

    Parameters:
      per_source: how many downloads of one source may run at once (IMAGE_FETCH_PER_HOST).
    """

    def __init__(self, *, per_source: int) -> None:
        self._per_source = per_source
        self._running: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        """Hold one of the source's slots for the block; raises SourceBusy when none is free."""
        try:
            source = source_of(url)
        except ValueError:
            # No connection is made: the fetcher refuses the URL, with its reason, at once.
            yield
            return
        with self._lock:
            running = self._running.get(source, 0)
            if running >= self._per_source:
                raise SourceBusy(f"{source[0]}://{source[1]}:{source[2]} is busy")
            self._running[source] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[source] - 1
                if left:
                    self._running[source] = left
                else:
                    del self._running[source]

    def running(self, url: str) -> int:
        with self._lock:
            return self._running.get(source_of(url), 0)
