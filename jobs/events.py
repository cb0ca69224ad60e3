"""The worker's event log lines (docs/api.md), as the image steps and dead letters write
them: one ``jobs.events`` logger, one set of fields per job."""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What the log lines of one job carry."""

    message_id: str | None
    product_id: int | None
    image_index: int | None
    request_id: str | None

    def fields(self, event: str, **extra: object) -> dict:
        return {"event": event, "message_id": self.message_id, "product_id": self.product_id,
                "image_index": self.image_index, "request_id": self.request_id, **extra}
