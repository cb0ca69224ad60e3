"""The rendered product and its documented schema both follow models.products.ProductRow."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import orjson

from api import schemas
from core.representation import product_document, render_product
from models.products import ProductRow

#: Row fields that the public document replaces with what they mean.
REPLACED = {"image_failures": ["image_status", "image_errors"], "image_media": ["images"]}

ROW = ProductRow(
    id=7, user_id=3, product_name="Desk lamp", product_description=None,
    product_images=["https://example.com/a.png", "https://example.com/b.png"],
    compressed_product_images=["https://cdn.example.com/a.webp", None],
    image_failures={"https://example.com/b.png": {
        "code": "HTTP_STATUS", "message": "HTTP 404 from example.com", "retryable": False,
        "attempts": 1, "http_status": 404}},
    product_price=Decimal("49.90"),
    created_at=datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
    updated_at=datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC),
    image_media={},  # the copy of a.png is from before rendition sets: a legacy copy
    version=4,
)


def expected_public_fields() -> list[str]:
    fields: list[str] = []
    for name in ProductRow._fields:
        fields.extend(REPLACED.get(name, [name]))
    return fields


def test_the_document_has_every_public_field_of_the_row_in_order():
    assert list(product_document(ROW)) == expected_public_fields()


def test_the_schema_has_the_same_fields_as_the_document():
    assert list(schemas.Product.__struct_fields__) == expected_public_fields()


def test_the_rendered_product_is_valid_under_its_schema():
    decoded = msgspec.json.decode(render_product(ROW), type=schemas.Product)
    assert decoded.product_price == "49.90"


def test_the_rendered_json_is_the_promised_one():
    assert orjson.loads(render_product(ROW)) == {
        "id": 7, "user_id": 3, "product_name": "Desk lamp", "product_description": None,
        "product_images": ["https://example.com/a.png", "https://example.com/b.png"],
        "compressed_product_images": ["https://cdn.example.com/a.webp", None],
        "image_status": "failed",
        "image_errors": [{"index": 1, "url": "https://example.com/b.png",
                          "reason": "HTTP 404 from example.com", "code": "HTTP_STATUS"}],
        "product_price": "49.90",
        "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:06Z",
        "images": [
            {"source_url": "https://example.com/a.png", "status": "ready", "width": None,
             "height": None, "placeholder": None,
             "renditions": [{"format": "webp", "width": None, "height": None, "bytes": None,
                             "url": "https://cdn.example.com/a.webp"}],
             "srcset": {"webp": "https://cdn.example.com/a.webp"}, "revision": None,
             "error": None, "source_bytes": None},
            {"source_url": "https://example.com/b.png", "status": "failed", "width": None,
             "height": None, "placeholder": None, "renditions": [], "srcset": {},
             "revision": None,
             "error": {"code": "HTTP_STATUS", "message": "HTTP 404 from example.com",
                       "retryable": False, "attempts": 1, "http_status": 404},
             "source_bytes": None},
        ],
        "version": 4,
    }
