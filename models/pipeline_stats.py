"""What the operators' view counts of the pipeline's recent work, from the events table:
failures are counted as they happened, whatever became of their dead letters since (a replay
or a purge removes the letter, not the failure)."""

from __future__ import annotations

from models.db import db
from models.events import EventType


def failures_by_code(*, hours: int = 1) -> dict[str | None, int]:
    """Images that failed for good in the last ``hours``, by error code (None: a failure
    recorded without one), as their ``product.image.failed`` events say."""
    cursor = db.execute_sql(
        "SELECT product -> 'image_failures' -> source_url ->> 'code', count(*) FROM events"
        " WHERE type = %s AND created_at > now() - make_interval(hours => %s)"
        " GROUP BY 1 ORDER BY 2 DESC, 1", (str(EventType.IMAGE_FAILED), hours))
    return dict(cursor.fetchall())
