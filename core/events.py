"""Events as clients see them (docs/api.md): the public ``evt_...`` id of a position in the
feed, and the Standard Webhooks envelope. One rendering for the API's feed, webhook
deliveries and the stream.

An id is ``evt_`` and 32 lowercase hex digits: the writing transaction's id, then the row's,
16 digits each. Ids therefore sort as text in the order of the feed, and parsing is strict, so
an id the system never wrote is refused before any query (:func:`parse_event_id`).
"""

from __future__ import annotations

import re

from core.representation import dumps, product_document
from models.events import IMAGE_TYPES, EventRow, Position
from models.products import row_from_snapshot

PREFIX = "evt_"
#: What an event id looks like, for validation and the OpenAPI document.
EVENT_ID_PATTERN = r"^evt_[0-9a-f]{32}$"
_EVENT_ID = re.compile(EVENT_ID_PATTERN)
_HALF = 2**64


class InvalidEventId(ValueError):
    """Not an event id this system writes."""


def event_id(position: Position) -> str:
    return f"{PREFIX}{position.xid:016x}{position.id:016x}"


def parse_event_id(text: str) -> Position:
    """The position an ``evt_...`` id names; raises :class:`InvalidEventId`."""
    if not _EVENT_ID.fullmatch(text):
        raise InvalidEventId(text)
    digits = text[len(PREFIX):]
    position = Position(int(digits[:16], 16), int(digits[16:], 16))
    # Row ids are bigint: a larger one was never written (nor can it be compared).
    if not 1 <= position.id < _HALF // 2:
        raise InvalidEventId(text)
    return position


def event_document(event: EventRow) -> dict:
    """The envelope: ``{"id", "type", "timestamp", "data"}``; ``data`` holds the product's
    full representation at the event's version, and for image events the source image."""
    data: dict = {"product_id": event.product_id, "user_id": event.user_id,
                  "version": event.version}
    if event.type in IMAGE_TYPES:
        data["image_indexes"] = event.image_indexes
        data["source_url"] = event.source_url
    data["product"] = product_document(row_from_snapshot(event.product))
    return {"id": event_id(event.position), "type": str(event.type),
            "timestamp": event.created_at, "data": data}


def render_event(event: EventRow) -> bytes:
    """The event's JSON, as a webhook delivery's body or a stream message's data."""
    return dumps(event_document(event))
