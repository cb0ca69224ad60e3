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

from core.events import EVENT_ID_PATTERN
from core.urls import parse_image_url
from models.events import EventType
from models.failures import FailureCode
from models.media import MediaImage
from models.products import ProductRow

PRICE_MAX = Decimal("99999999.99")
CENT = Decimal("0.01")
#: A price written as text, in a body or a query: ASCII digits only, the range and places of
#: a stored price, so no exponent, digit separator or digit of another script gets through.
PRICE_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"
_PRICE = re.compile(PRICE_PATTERN)
ID_MAX = 2**63 - 1

#: What names and e-mails are trimmed of: the characters both Python's ``str.isspace`` and a
#: JSON Schema (ECMA-262) ``\s`` call whitespace. The patterns below spell them out instead of
#: writing ``\s``, which means a different set to each (``\x1c``, ``\x85``, ``\ufeff``), so
#: the server and every validator of the document read one rule.
WHITESPACE = "\t\n\v\f\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) \
    + "\u2028\u2029\u202f\u205f\u3000"
_S = "".join(f"\\u{ord(c):04x}" for c in WHITESPACE)
#: PostgreSQL's text cannot hold NUL: refused by the schema (and so documented in OpenAPI),
#: not discovered by the database as a 500.
NO_NUL = r"^[^\x00]*$"
#: 1-255 characters after trimming, without NUL: the trimmed text runs from the first to the
#: last character that is not whitespace.
NAME_PATTERN = rf"^[{_S}]*[^{_S}\x00](?:[^\x00]{{0,253}}[^{_S}\x00])?[{_S}]*$"
EMAIL_PATTERN = rf"^[{_S}]*[^@{_S}\x00]+@[^@{_S}\x00]+\.[^@.{_S}\x00]+[{_S}]*$"

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_H = "[0-9A-Fa-f]{1,4}"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_LS32 = rf"(?:{_H}:{_H}|{_IPV4})"
#: RFC 3986's IPv6address, IPv4-suffixed forms (``::ffff:169.254.169.254``) included.
_IPV6 = "|".join([
    rf"(?:{_H}:){{6}}{_LS32}", rf"::(?:{_H}:){{5}}{_LS32}",
    rf"(?:{_H})?::(?:{_H}:){{4}}{_LS32}",
    rf"(?:(?:{_H}:){{0,1}}{_H})?::(?:{_H}:){{3}}{_LS32}",
    rf"(?:(?:{_H}:){{0,2}}{_H})?::(?:{_H}:){{2}}{_LS32}",
    rf"(?:(?:{_H}:){{0,3}}{_H})?::{_H}:{_LS32}",
    rf"(?:(?:{_H}:){{0,4}}{_H})?::{_LS32}",
    rf"(?:(?:{_H}:){{0,5}}{_H})?::{_H}",
    rf"(?:(?:{_H}:){{0,6}}{_H})?::",
])
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
#: The image URLs the API takes: a strict part of what :func:`core.urls.parse_image_url`
#: reads (a test draws from this pattern and parses), that JSON Schema can say exactly.
#: ASCII only (percent-encode the rest); a host name of labels, at most 253 characters, whose
#: last label starts with a letter (a numeric one would be an IPv4 address to the parser); a
#: dotted-quad IPv4 or a bracketed IPv6 address (a zone id as ``%25...``); a port from 1
#: to 65535.
IMAGE_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://"
    r"(?:(?=[A-Za-z0-9._-]{1,253}(?:[:/?#]|$))(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z][A-Za-z0-9_-]{0,62}\.?"
    rf"|{_IPV4}|\[(?:{_IPV6})(?:%25[A-Za-z0-9._~-]+)?\])"
    rf"(?::{_PORT})?"
    r"(?:[/?#](?:[!-$&-\[\]-~]|%[0-9A-Fa-f]{2})*)?$"
)
# Patterns with long character classes go into the document as they are and are checked in
# ``__post_init__``, so that an error names the rule, not the regular expression.
Name = Annotated[str, Meta(description="1-255 characters after trimming whitespace, without NUL",
                           extra_json_schema={"pattern": NAME_PATTERN})]
Description = Annotated[str, Meta(max_length=10_000, pattern=NO_NUL)]
Email = Annotated[str, Meta(min_length=3, max_length=254, examples=["ada@example.com"],
                            description="local@domain.tld, trimmed of whitespace",
                            extra_json_schema={"pattern": EMAIL_PATTERN})]
ImageUrl = Annotated[str, Meta(max_length=2048, description="absolute http(s) URL",
                               extra_json_schema={"pattern": IMAGE_URL_PATTERN})]
Images = Annotated[list[ImageUrl], Meta(max_length=10)]
#: Kept as its JSON text until ``__post_init__``: a string and a number have different rules,
#: and a number is read from its text, never through a binary float.
Price = Annotated[
    msgspec.Raw,
    Meta(
        description="0 to 99999999.99 with at most two decimal places: a JSON number, or a"
                    " string of ASCII digits",
        extra_json_schema={
            "anyOf": [{"type": "string", "pattern": PRICE_PATTERN},
                      {"type": "number", "minimum": 0, "maximum": float(PRICE_MAX),
                       "multipleOf": float(CENT)}],
            "examples": ["49.90"],
        },
    ),
]
Id = Annotated[int, Meta(ge=1, le=ID_MAX, extra_json_schema={"format": "int64"})]
#: An id in a request body, kept as its JSON text: JSON Schema's integer is any number whose
#: value is whole (``5.0`` and ``5e0`` included), so the server takes exactly those too.
BodyId = Annotated[msgspec.Raw, Meta(extra_json_schema={
    "type": "integer", "minimum": 1, "maximum": ID_MAX, "format": "int64"})]
Timestamp = Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]
_BAD_PRICE = "`product_price` must be a number or a string of ASCII digits"
_PRICE_RULE = "from 0 to 99999999.99 with at most two decimal places"


_NAME = re.compile(NAME_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
_IMAGE_URL = re.compile(IMAGE_URL_PATTERN)


def _trimmed(field: str, value: str) -> str:
    if not _NAME.search(value):
        raise ValueError(f"`{field}` must be 1-255 characters after trimming whitespace,"
                         " without NUL")
    return value.strip(WHITESPACE)


def parse_price(raw: msgspec.Raw) -> Decimal:
    """A body's price from its JSON text: a string by :data:`PRICE_PATTERN`, or a number in
    the range with at most two decimal places (``1.100`` and ``1e2`` are such numbers)."""
    text = bytes(raw)
    if text.startswith(b'"'):
        value = msgspec.json.decode(text, type=str)
        if not _PRICE.fullmatch(value):
            raise ValueError(f"{_BAD_PRICE} {_PRICE_RULE}")
        return Decimal(value).quantize(CENT)
    try:
        value = msgspec.json.decode(text, type=Decimal)
    except msgspec.ValidationError:
        raise ValueError(_BAD_PRICE) from None
    if not value.is_finite() or not Decimal(0) <= value <= PRICE_MAX:
        raise ValueError("`product_price` must be between 0 and 99999999.99")
    if value != value.quantize(CENT):
        raise ValueError("`product_price` must have at most two decimal places")
    return value.quantize(CENT)


def parse_body_id(field: str, raw: msgspec.Raw) -> int:
    """An id from its JSON text: a number with a whole value from 1 to ID_MAX."""
    text = bytes(raw)
    value = None
    if text[:1] in b"-0123456789":  # a number; msgspec would also read "5" as a Decimal
        try:
            value = msgspec.json.decode(text, type=Decimal)
        except msgspec.ValidationError:
            pass
    if value is None or not value.is_finite() or value != value.to_integral_value() \
            or not 1 <= value <= ID_MAX:
        raise ValueError(f"`{field}` must be an integer from 1 to {ID_MAX}")
    return int(value)


def _check_url(field: str, url: str) -> None:
    # The worker parses with the same parser, so what passes here reads the same there.
    try:
        parse_image_url(url)
    except ValueError as error:
        raise ValueError(f"`{field}` {error}") from None
    if not _IMAGE_URL.search(url):
        raise ValueError(f"`{field}` must be an ASCII http(s) URL with a host name (its last"
                         " label starting with a letter), a dotted IPv4 or a bracketed IPv6"
                         " address, and a port from 1 to 65535")


def _check_images(urls: list[str]) -> None:
    for index, url in enumerate(urls):
        _check_url(f"product_images[{index}]", url)


class UserCreate(Struct, forbid_unknown_fields=True):
    name: Name
    email: Email

    def __post_init__(self) -> None:
        self.name = _trimmed("name", self.name)
        if not _EMAIL.search(self.email):
            raise ValueError("`email` must look like an e-mail address (local@domain.tld)")
        self.email = self.email.strip(WHITESPACE)


class ProductCreate(Struct, forbid_unknown_fields=True):
    product_name: Name
    product_price: Price
    product_description: Description | None = None
    product_images: Images = msgspec.field(default_factory=list)
    user_id: BodyId | UnsetType = UNSET

    def __post_init__(self) -> None:
        self.product_name = _trimmed("product_name", self.product_name)
        self.product_price = parse_price(self.product_price)
        _check_images(self.product_images)
        if self.user_id is not UNSET:
            self.user_id = parse_body_id("user_id", self.user_id)


class ProductPatch(Struct, forbid_unknown_fields=True):
    product_name: Name | UnsetType = UNSET
    product_description: Description | None | UnsetType = UNSET
    product_images: Images | UnsetType = UNSET
    product_price: Price | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.product_name is not UNSET:
            self.product_name = _trimmed("product_name", self.product_name)
        if self.product_price is not UNSET:
            self.product_price = parse_price(self.product_price)
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
    id: Id
    name: str
    created_at: Timestamp
    email: str | UnsetType = UNSET


class UserCreated(Struct):
    id: Id
    name: str
    email: str
    created_at: Timestamp
    api_key: Annotated[str, Meta(description="shown this once; send as `Bearer` token")]


class ApiKey(Struct):
    id: Id
    api_key: Annotated[str, Meta(description="shown this once; the previous key stops working")]


class StreamToken(Struct):
    token: Annotated[str, Meta(description="send as `?token=` to the events stream; good for"
                                           " this user's stream only, and not an API key")]
    expires_at: Timestamp
    expires_in: Annotated[int, Meta(ge=1, description="seconds it stays good"
                                                      " (STREAM_TOKEN_TTL_SECONDS)")]


class ImageError(Struct):
    index: Annotated[int, Meta(ge=0)]
    url: str
    reason: str
    #: None only for failures recorded before failures had codes.
    code: FailureCode | None


ImageStatus = Literal["pending", "done", "failed"]
PriceText = Annotated[str, Meta(pattern=r"^[0-9]{1,8}\.[0-9]{2}$",
                                extra_json_schema={"format": "decimal"})]
#: How the row's types are documented: ids and timestamps for what they are, so that
#: generated clients type them as integers and date-times.
_DOCUMENTED = {int: Id, datetime: Timestamp}


def _product_fields() -> Iterator[tuple[str, object]]:
    """The public fields of a product, derived from :class:`models.products.ProductRow`.

    Three fields differ from the row, here and in :func:`core.representation.product_document`
    alike: the price is a string (two decimal places, never a float), the failures,
    internal and keyed by URL, become ``image_status`` and ``image_errors``, and the rendition
    sets, keyed by URL too, become ``images``, one per source URL (docs/api.md).
    """
    for name, annotation in get_type_hints(ProductRow).items():
        if name == "image_failures":
            yield "image_status", ImageStatus
            yield "image_errors", list[ImageError]
        elif name == "image_media":
            yield "images", list[MediaImage]
        elif name == "product_price":
            yield name, PriceText
        else:
            yield name, _DOCUMENTED.get(annotation, annotation)


Product = msgspec.defstruct("Product", list(_product_fields()), module=__name__)


class ProductPage(Struct):
    items: list[Product]
    next_cursor: str | None


EventId = Annotated[str, Meta(pattern=EVENT_ID_PATTERN, description="opaque; ids sort as"
                              " text in the order of the feed")]


class EventData(Struct):
    product_id: Id
    user_id: Id
    #: The product's version at the event's commit; the events of one commit share it.
    version: Id
    product: Annotated[Product, Meta(description="the full representation at this version")]
    image_indexes: Annotated[list[Annotated[int, Meta(ge=0)]], Meta(
        description="image events: where the source stands in product_images")] | UnsetType \
        = UNSET
    source_url: Annotated[str, Meta(description="image events: the source image")] \
        | UnsetType = UNSET


class Event(Struct):
    """The Standard Webhooks envelope of an event (docs/api.md)."""

    id: EventId
    type: EventType
    timestamp: Timestamp
    data: EventData


class EventPage(Struct):
    items: list[Event]
    next_after: Annotated[EventId | None, Meta(
        description="the `after` of the next poll: the last item's id, or the `after` given"
                    " when there are none; null only without events and `after`")]


WebhookUrl = Annotated[str, Meta(max_length=2048, description="absolute http(s) URL; its"
                                 " address must be one deliveries may reach",
                                 extra_json_schema={"pattern": IMAGE_URL_PATTERN})]
#: An event type, or ``*`` for all of them.
WebhookEventType = Literal[tuple([*map(str, EventType), "*"])]  # type: ignore[valid-type]
WebhookEvents = Annotated[list[WebhookEventType], Meta(
    min_length=1, max_length=16, description="event types, or `[\"*\"]` for every type;"
    " repeats are dropped, and `*` among others means every type")]
WebhookDescription = Annotated[str, Meta(max_length=1000, pattern=NO_NUL)]


def _webhook_events(types: list[str]) -> list[str]:
    return ["*"] if "*" in types else list(dict.fromkeys(types))


class WebhookCreate(Struct, forbid_unknown_fields=True):
    url: WebhookUrl
    events: WebhookEvents
    description: WebhookDescription | None = None

    def __post_init__(self) -> None:
        _check_url("url", self.url)
        self.events = _webhook_events(self.events)


class WebhookPatch(Struct, forbid_unknown_fields=True):
    url: WebhookUrl | UnsetType = UNSET
    events: WebhookEvents | UnsetType = UNSET
    description: WebhookDescription | None | UnsetType = UNSET
    enabled: Annotated[bool, Meta(description="true again clears the failure count")] \
        | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.url is not UNSET:
            _check_url("url", self.url)
        if self.events is not UNSET:
            self.events = _webhook_events(self.events)

    def changes(self) -> dict:
        return {field: getattr(self, field) for field in self.__struct_fields__
                if getattr(self, field) is not UNSET}


class Webhook(Struct):
    id: Id
    url: str
    events: list[WebhookEventType]
    description: str | None
    enabled: bool
    disabled_reason: Annotated[str | None, Meta(
        description="why the deliveries disabled it; null while enabled")]
    consecutive_failures: Annotated[int, Meta(ge=0)]
    created_at: Timestamp


class WebhookList(Struct):
    items: list[Webhook]


class WebhookCreated(Struct):
    id: Id
    url: str
    events: list[WebhookEventType]
    description: str | None
    enabled: bool
    created_at: Timestamp
    secret: Annotated[str, Meta(pattern="^whsec_", description="shown this once: the key"
                                " that signs deliveries (Standard Webhooks)")]


class WebhookSecret(Struct):
    id: Id
    secret: Annotated[str, Meta(pattern="^whsec_", description="shown this once")]
    previous_secret_expires_at: Annotated[Timestamp, Meta(
        description="until then deliveries carry a signature with the old secret too")]


DeliveryStatus = Literal["pending", "succeeded", "failed"]


class Delivery(Struct):
    id: Id
    event_id: EventId
    event_type: EventType
    status: DeliveryStatus
    attempts: Annotated[int, Meta(ge=0)]
    last_status: Annotated[int | None, Meta(description="the receiver's last HTTP status")]
    last_error: Annotated[str | None, Meta(description="why the last attempt got no answer")]
    last_response: Annotated[str | None, Meta(
        description="the start of the receiver's last answer (at most 1 KiB)")]
    last_attempt_at: Timestamp | None
    next_attempt_at: Annotated[Timestamp | None, Meta(description="while pending")]
    created_at: Timestamp


class DeliveryPage(Struct):
    items: list[Delivery]
    next_cursor: str | None


#: Dead letters are named by their message's id, a UUID.
MessageId = Annotated[str, Meta(pattern="^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                                "[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
DeadLetterCode = Annotated[str | None, Meta(
    description="a product error code (see ImageError); null for a letter archived before"
                " codes were recorded")]


class DeadLetterSelection(Struct, forbid_unknown_fields=True):
    """Which dead letters an operator replays or purges: some, by id, or all of them."""

    message_ids: Annotated[list[MessageId], Meta(max_length=1000)] | UnsetType = UNSET
    all: bool = False

    def __post_init__(self) -> None:
        if self.all == (self.message_ids is not UNSET):
            raise ValueError("give `message_ids` (a list of message ids) or `\"all\": true`,"
                             " not both or neither")
        if self.message_ids is not UNSET and not self.message_ids:
            raise ValueError("`message_ids` must name at least one message")


class DeadLetterItem(Struct):
    message_id: MessageId
    actor: str
    product_id: Id | None
    url: str | None
    code: DeadLetterCode
    http_status: int | None
    reason: str
    attempts: Annotated[int, Meta(ge=0)]
    failed_at: Timestamp


class DeadLetterPage(Struct):
    items: list[DeadLetterItem]
    next_cursor: str | None
    total: Annotated[int, Meta(ge=0, description="dead letters in the archive")]


class DeadLettersReplayed(Struct):
    replayed: list[MessageId]
    not_found: list[MessageId]


class DeadLettersPurged(Struct):
    purged: list[MessageId]
    not_found: list[MessageId]


class FailureCount(Struct):
    code: DeadLetterCode
    count: Annotated[int, Meta(ge=1)]


class PipelineState(Struct):
    outbox_depth: Annotated[int, Meta(ge=0, description="jobs not yet handed to RabbitMQ")]
    broker: Literal["ok", "unavailable"]
    image_queue_depth: Annotated[Annotated[int, Meta(ge=0)] | None, Meta(
        description="image jobs ready in RabbitMQ; null when the broker is unavailable or"
                    " the queue not declared yet")]
    image_retry_depth: Annotated[Annotated[int, Meta(ge=0)] | None, Meta(
        description="image jobs waiting for a delayed retry")]
    webhook_queue_depth: Annotated[int, Meta(ge=0)] | None
    dead_letters: Annotated[int, Meta(ge=0)]
    failures_last_hour: Annotated[list[FailureCount], Meta(
        description="images that failed for good in the last hour, by code, most first")]


class Error(Struct):
    title: str
    description: str


class Readiness(Struct):
    status: Literal["ok", "degraded", "unavailable"]
    checks: dict[str, str]
