"""Rows to the JSON the API promises (docs/api.md), rendered with orjson.

In core because the API's responses and the events that webhooks and the stream send
(:mod:`core.events`) show the same representation."""

from __future__ import annotations

import orjson

from models.media import images_of
from models.products import ProductRow, image_state
from models.users import UserRow

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def product_document(row: ProductRow) -> dict:
    """The public document of a product: the row's fields, in its order, three of them
    rendered as :class:`api.schemas.Product` describes (``version`` shown as it is)."""
    document: dict = {}
    for name, value in zip(ProductRow._fields, row, strict=True):
        if name == "image_failures":
            document["image_status"], document["image_errors"] = image_state(
                row.product_images, row.compressed_product_images, value
            )
        elif name == "image_media":
            document["images"] = images_of(row.product_images, row.compressed_product_images,
                                           value, row.image_failures)
        elif name == "product_price":
            # numeric(10,2) arrives with exactly two places; str() keeps them.
            document[name] = str(value)
        else:
            document[name] = value
    return document


def user_document(row: UserRow, *, with_email: bool) -> dict:
    document = {"id": row.id, "name": row.name, "created_at": row.created_at}
    if with_email:
        document["email"] = row.email
    return document


def dumps(document: object) -> bytes:
    return orjson.dumps(document, option=_OPTIONS)


def render_product(row: ProductRow) -> bytes:
    return dumps(product_document(row))
