"""One JSON object per line on stdout, for the API and the workers alike (docs/api.md)."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter


class _Formatter(JsonFormatter):
    # python-json-logger renders asctime in local time and without a zone; the spec wants UTC.
    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record["timestamp"] = (
            datetime.fromtimestamp(record.created, tz=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        log_record["level"] = record.levelname
        log_record.setdefault("logger", record.name)
        log_record.setdefault("pid", record.process)
        if record.exc_info and record.exc_info[1] is not None:
            log_record["error_type"] = type(record.exc_info[1]).__name__
            log_record["error"] = str(record.exc_info[1])


def configure_logging(level: str = "INFO") -> None:
    """Send every log record to stdout as one JSON line; idempotent."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter("%(message)s", json_ensure_ascii=False))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request lines come from our middleware; gunicorn's access log would duplicate them.
    logging.getLogger("gunicorn.access").propagate = False
    for noisy in ("pika", "urllib3", "botocore", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


class Throttle:
    """At most one of a repeated warning per ``interval`` seconds, from any thread.

    :meth:`due` says whether to log now and how many were left out since the last one, so a
    failing dependency costs one line per interval, not one per request.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval, self._clock = interval, clock
        self._lock = threading.Lock()
        self._next = float("-inf")
        self._suppressed = 0

    def due(self) -> int | None:
        """None to stay quiet; otherwise log now, with this many left out since the last."""
        with self._lock:
            now = self._clock()
            if now < self._next:
                self._suppressed += 1
                return None
            self._next, suppressed, self._suppressed = now + self._interval, self._suppressed, 0
            return suppressed
