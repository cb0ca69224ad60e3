"""One JSON object per line on stdout, for the API and the workers alike (docs/api.md)."""

from __future__ import annotations

import logging
import sys
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
