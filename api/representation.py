"""Rows to the JSON the API promises (SPEC section 3), rendered with orjson."""

from __future__ import annotations

import orjson

from models.products import ProductRow, image_state
from models.users import UserRow

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def product_document(row: ProductRow) -> dict:
    status, errors = image_state(
        row.product_images, row.compressed_product_images, row.image_failures
    )
    return {
        "id": row.id,
        "user_id": row.user_id,
        "product_name": row.product_name,
        "product_description": row.product_description,
        "product_images": row.product_images,
        "compressed_product_images": row.compressed_product_images,
        "image_status": status,
        "image_errors": errors,
        # numeric(10,2) arrives with exactly two places; str() keeps them.
        "product_price": str(row.product_price),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def user_document(row: UserRow, *, with_email: bool) -> dict:
    document = {"id": row.id, "name": row.name, "created_at": row.created_at}
    if with_email:
        document["email"] = row.email
    return document


def dumps(document: object) -> bytes:
    return orjson.dumps(document, option=_OPTIONS)


def render_product(row: ProductRow) -> bytes:
    return dumps(product_document(row))
