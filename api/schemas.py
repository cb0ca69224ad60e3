"""Request and response bodies as msgspec structs: they validate input and, through
:mod:`api.openapi`, generate the documented schemas, so the two cannot drift.

Bodies are decoded by msgspec straight into these types; JSON numbers become ``Decimal``
from their text, never through a binary float.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, get_type_hints

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from core.urls import parse_image_url
from models.products import ProductRow

PRICE_MAX = Decimal("99999999.99")
CENT = Decimal("0.01")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

#: PostgreSQL's text cannot hold NUL: refused by the schema (and so documented in OpenAPI),
#: not discovered by the database as a 500.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[
    str, Meta(min_length=1, max_length=255, pattern=NO_NUL,
              description="1-255 characters after trimming, without NUL")
]
Description = Annotated[str, Meta(max_length=10_000, pattern=NO_NUL)]
Email = Annotated[str, Meta(min_length=3, max_length=254, pattern=NO_NUL,
                             examples=["ada@example.com"])]
ImageUrl = Annotated[str, Meta(min_length=1, max_length=2048, description="absolute http(s) URL")]
Images = Annotated[list[ImageUrl], Meta(max_length=10)]
Price = Annotated[
    Decimal,
    Meta(
        description="0 to 99999999.99, at most two decimal places; a JSON number or string",
        extra_json_schema={"anyOf": [{"type": "string"}, {"type": "number"}],
                           "examples": ["49.90"]},
    ),
]
Id = Annotated[int, Meta(ge=1, le=2**63 - 1)]


def _trimmed(field: str, value: str) -> str:
    trimmed = value.strip()
    if not trimmed:
        raise ValueError(f"`{field}` must have at least 1 character after trimming")
    return trimmed


def _check_price(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) <= value <= PRICE_MAX:
        raise ValueError("`product_price` must be between 0 and 99999999.99")
    if value != value.quantize(CENT):
        raise ValueError("`product_price` must have at most two decimal places")
    return value.quantize(CENT)


def _check_images(urls: list[str]) -> None:
    # The worker parses with the same parser, so what passes here reads the same there.
    for index, url in enumerate(urls):
        try:
            parse_image_url(url)
        except ValueError as error:
            raise ValueError(f"`product_images[{index}]` {error}") from None


class UserCreate(Struct, forbid_unknown_fields=True):
    name: Name
    email: Email

    def __post_init__(self) -> None:
        self.name = _trimmed("name", self.name)
        self.email = self.email.strip()
        if not _EMAIL.fullmatch(self.email):
            raise ValueError("`email` must look like an e-mail address")


class ProductCreate(Struct, forbid_unknown_fields=True):
    product_name: Name
    product_price: Price
    product_description: Description | None = None
    product_images: Images = msgspec.field(default_factory=list)
    user_id: Id | UnsetType = UNSET

    def __post_init__(self) -> None:
        self.product_name = _trimmed("product_name", self.product_name)
        self.product_price = _check_price(self.product_price)
        _check_images(self.product_images)


class ProductPatch(Struct, forbid_unknown_fields=True):
    product_name: Name | UnsetType = UNSET
    product_description: Description | None | UnsetType = UNSET
    product_images: Images | UnsetType = UNSET
    product_price: Price | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.product_name is not UNSET:
            self.product_name = _trimmed("product_name", self.product_name)
        if self.product_price is not UNSET:
            self.product_price = _check_price(self.product_price)
        if self.product_images is not UNSET:
            _check_images(self.product_images)

    def changes(self) -> dict:
        """The fields the client sent, by column name."""
        return {
            field: getattr(self, field)
            for field in self.__struct_fields__
            if getattr(self, field) is not UNSET
        }


# Response bodies: documentation only; responses are rendered straight from rows.


class User(Struct):
    id: int
    name: str
    created_at: datetime
    email: str | UnsetType = UNSET


class UserCreated(Struct):
    id: int
    name: str
    email: str
    created_at: datetime
    api_key: Annotated[str, Meta(description="shown this once; send as `Bearer` token")]


class ApiKey(Struct):
    id: int
    api_key: Annotated[str, Meta(description="shown this once; the previous key stops working")]


class ImageError(Struct):
    index: int
    url: str
    reason: str


ImageStatus = Literal["pending", "done", "failed"]
PriceText = Annotated[str, Meta(pattern=r"^\d{1,8}\.\d{2}$")]


def _product_fields() -> Iterator[tuple[str, object]]:
    """The public fields of a product, derived from :class:`models.products.ProductRow`.

    Two fields differ from the row, here and in :func:`api.representation.product_document`
    alike: the price is a string (two decimal places, never a float), and the failures,
    internal and keyed by URL, become ``image_status`` and ``image_errors``.
    """
    for name, annotation in get_type_hints(ProductRow).items():
        if name == "image_failures":
            yield "image_status", ImageStatus
            yield "image_errors", list[ImageError]
        elif name == "product_price":
            yield name, PriceText
        else:
            yield name, annotation


Product = msgspec.defstruct("Product", list(_product_fields()), module=__name__)


class ProductPage(Struct):
    items: list[Product]
    next_cursor: str | None


class Error(Struct):
    title: str
    description: str


class Readiness(Struct):
    status: Literal["ok", "degraded", "unavailable"]
    checks: dict[str, str]
