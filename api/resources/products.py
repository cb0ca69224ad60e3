"""``/products``: create, read, list, patch and delete products."""

from __future__ import annotations

import falcon
from msgspec import UNSET

from api.auth import Authenticator
from api.bodies import read_body
from api.catalog import Catalog
from api.cursor import cursor_param, encode_cursor
from api.params import (
    ID_MAX,
    bad_parameter,
    not_found,
    path_id,
    query_int,
    query_price,
    query_text,
)
from api.schemas import ProductCreate, ProductPatch
from core.representation import dumps, product_document, render_product
from models.products import PAGE_SIZE_MAX

DEFAULT_PAGE_SIZE = 20


class Products:
    def __init__(
        self, *, catalog: Catalog, authenticator: Authenticator, cursor_secret: bytes
    ) -> None:
        self._catalog = catalog
        self._authenticator = authenticator
        self._cursor_secret = cursor_secret

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user_id = self._authenticator.require(req)
        body = read_body(req, ProductCreate)
        if body.user_id is not UNSET and body.user_id != user_id:
            raise falcon.HTTPForbidden(
                title="Forbidden",
                description="`user_id` must be the API key's user (or left out).",
            )
        product = self._catalog.create(
            user_id, body.product_name, body.product_description, body.product_images,
            body.product_price, request_id=req.context.request_id,
        )
        resp.status = falcon.HTTP_201
        resp.location = f"/products/{product.id}"
        resp.data = render_product(product)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user_id = query_int(req, "user_id", low=1)
        if user_id is None:
            raise bad_parameter("user_id", "given (an integer of at least 1)")
        min_price = query_price(req, "min_price")
        max_price = query_price(req, "max_price")
        if min_price is not None and max_price is not None and min_price > max_price:
            raise bad_parameter("min_price", "at most `max_price`")
        limit = query_int(req, "limit", low=1, high=PAGE_SIZE_MAX, default=DEFAULT_PAGE_SIZE)
        before_id = cursor_param(req, self._cursor_secret)
        rows = []
        if user_id <= ID_MAX:  # a larger id cannot exist
            rows = self._catalog.page(
                user_id, min_price=min_price, max_price=max_price,
                name=query_text(req, "name") or None, before_id=before_id, limit=limit,
            )
        next_cursor = (
            encode_cursor(rows[-1].id, self._cursor_secret) if len(rows) == limit else None
        )
        resp.data = dumps(
            {"items": [product_document(row) for row in rows], "next_cursor": next_cursor}
        )

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, product_id: str) -> None:
        body, hit = self._catalog.read(path_id(product_id, "product"))
        if body is None:
            raise not_found("product")
        resp.set_header("X-Cache", "HIT" if hit else "MISS")
        resp.content_type = falcon.MEDIA_JSON
        resp.data = body

    def on_patch_item(self, req: falcon.Request, resp: falcon.Response, product_id: str) -> None:
        user_id = self._authenticator.require(req)
        product_id_value = path_id(product_id, "product")
        changes = read_body(req, ProductPatch).changes()
        product = self._catalog.update(product_id_value, user_id, changes,
                                       request_id=req.context.request_id)
        resp.data = render_product(product)

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, product_id: str) -> None:
        user_id = self._authenticator.require(req)
        self._catalog.delete(path_id(product_id, "product"), user_id)
        resp.status = falcon.HTTP_204
