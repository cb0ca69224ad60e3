"""core.events: the public event id (strict, order-preserving) and the envelope's shape."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api import schemas
from core.events import InvalidEventId, event_document, event_id, parse_event_id, render_event
from models.events import EventRow, EventType, Position
from models.products import row_from_snapshot

XIDS = st.integers(min_value=0, max_value=2**64 - 1)
IDS = st.integers(min_value=1, max_value=2**63 - 1)


@given(XIDS, IDS)
def test_an_id_reads_back_as_its_position(xid, row_id):
    text = event_id(Position(xid, row_id))
    assert text.startswith("evt_") and len(text) == 36
    assert parse_event_id(text) == Position(xid, row_id)


@given(XIDS, IDS, XIDS, IDS)
def test_ids_sort_as_text_in_the_order_of_their_positions(x1, i1, x2, i2):
    one, two = Position(x1, i1), Position(x2, i2)
    assert (event_id(one) < event_id(two)) == (one < two)


@pytest.mark.parametrize("text", [
    "", "evt_", "evt_" + "0" * 31, "evt_" + "0" * 33, "EVT_" + "0" * 31 + "1",
    "evt_" + "0" * 31 + "A", "evt_" + "0" * 31 + "g", "evt-" + "0" * 31 + "1",
    " evt_" + "0" * 31 + "1", "evt_" + "0" * 31 + "1\n", "evt_" + "0" * 30 + "\u0661\u0661",
    "evt_" + "0" * 32,  # row id 0: ids start at 1
    "evt_" + "0" * 16 + "8" + "0" * 15,  # a row id past bigint
    "1", "evt_1",
])
def test_anything_but_an_id_this_system_writes_is_refused(text):
    with pytest.raises(InvalidEventId):
        parse_event_id(text)


SNAPSHOT = {  # as to_jsonb writes a row, the price as text (models.events)
    "id": 7, "user_id": 3, "product_name": "Desk lamp", "product_description": None,
    "product_images": ["https://example.com/a.png", "https://example.com/b.png"],
    "compressed_product_images": ["https://cdn.example.com/a.webp", None],
    "image_failures": {}, "product_price": "49.90",
    "created_at": "2026-01-02T04:04:05.000678+01:00",
    "updated_at": "2026-01-02T03:04:06+00:00", "image_media": {}, "version": 5,
}


def event(event_type: EventType, **fields) -> EventRow:
    values = {"position": Position(1234, 161), "type": event_type, "user_id": 3,
              "product_id": 7, "version": 5, "image_indexes": None, "source_url": None,
              "product": SNAPSHOT,
              "created_at": datetime(2026, 12, 1, 10, 0, 0, 123, tzinfo=UTC), **fields}
    return EventRow(**values)


def test_a_snapshot_reads_back_as_the_row_in_utc_with_an_exact_price():
    row = row_from_snapshot(SNAPSHOT)
    assert str(row.product_price) == "49.90" and row.version == 5
    assert row.created_at == datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    assert row.created_at.tzinfo == UTC


def test_an_image_event_is_the_standard_webhooks_envelope_with_the_source():
    document = orjson.loads(render_event(event(
        EventType.IMAGE_READY, image_indexes=[0], source_url="https://example.com/a.png")))
    assert document["id"] == "evt_00000000000004d200000000000000a1"
    assert document["type"] == "product.image.ready"
    assert document["timestamp"] == "2026-12-01T10:00:00Z"
    data = document["data"]
    assert list(data) == ["product_id", "user_id", "version", "image_indexes", "source_url",
                          "product"]
    assert (data["product_id"], data["user_id"], data["version"]) == (7, 3, 5)
    assert data["image_indexes"] == [0] and data["source_url"] == "https://example.com/a.png"
    assert data["product"]["version"] == 5 and data["product"]["image_status"] == "pending"
    assert data["product"]["product_price"] == "49.90"
    msgspec.json.decode(render_event(event(EventType.IMAGE_READY, image_indexes=[0],
                                           source_url="u")), type=schemas.Event)


@pytest.mark.parametrize("event_type", [t for t in EventType
                                        if t not in (EventType.IMAGE_READY,
                                                     EventType.IMAGE_FAILED)])
def test_other_events_name_no_image(event_type):
    document = event_document(event(event_type))
    assert list(document["data"]) == ["product_id", "user_id", "version", "product"]
    msgspec.json.decode(render_event(event(event_type)), type=schemas.Event)
