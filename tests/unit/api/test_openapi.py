"""The OpenAPI document is valid, names every route and method the app serves, and says
exactly what the server accepts: a value valid by the document is one the server takes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import jsonschema_rs
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from api.app import create_app
from api.openapi import build_document
from api.schemas import ID_MAX, IMAGE_URL_PATTERN, ProductCreate, UserCreate
from core.events import EVENT_ID_PATTERN
from core.settings import Settings
from core.urls import parse_image_url
from tests.support import routes

# Operational endpoints outside the client contract, and the console's pages.
UNDOCUMENTED = frozenset({"/metrics", "/console", "/console/product", "/console/operator",
                          "/console/config.json", "/console/static/{name}"})
DOCUMENT = build_document()
SCHEMAS = DOCUMENT["components"]["schemas"]
WRITES = [("/products", "post"), ("/products/{id}", "patch"), ("/products/{id}", "delete"),
          ("/users/{id}/api-key", "post"), ("/users", "post")]


def served_operations() -> set[tuple[str, str]]:
    return routes.served_operations(create_app(Settings()), leave_out=UNDOCUMENTED)


def test_document_is_valid_openapi():
    validate(build_document())


def test_every_served_operation_is_documented_and_nothing_else():
    # served_operations writes every path parameter as {id}.
    documented = {(re.sub(r"\{\w+\}", "{id}", path), method)
                  for path, item in build_document()["paths"].items() for method in item}
    assert served_operations() == documented


def valid_by_document(schema: dict, raw: bytes) -> bool:
    # jsonschema-rs is the validator schemathesis generates and checks with.
    return jsonschema_rs.validator_for(schema).is_valid(json.loads(raw))


def accepted(schema: type, raw: bytes) -> bool:
    try:
        msgspec.json.decode(raw, type=schema)
    except msgspec.ValidationError:
        return False
    return True


def product_with(field: str, raw: bytes) -> bytes:
    fields = {"product_name": b'"Lamp"', "product_price": b"1", field: raw}
    return b"{" + b",".join(b'"%s":%s' % (name.encode(), value)
                            for name, value in fields.items()) + b"}"


ACCEPTED_PRICES = [b"5", b"0", b"0.07", b"1.100", b"1e2", b"99999999.99", b"-0", b'"5"', b'"0"',
                   b'"49.90"', b'"49.9"', b'"99999999.99"', b'"\\u0031"']
REFUSED_PRICES = [
    b"-1", b"1.005", b"100000000", b"1e400", b"true", b"null", b"[1]",
    b'""', b'"."', b'"5."', b'".5"', b'"\xd9\xa1\xd9\xa2"', b'"1_000"', b'"1e2"', b'" 5"',
    b'"5\\n"', b'"-1"', b'"+1"', b'"NaN"', b'"123456789"', b'"1.005"', b'"0x10"',
]


@pytest.mark.parametrize("raw, ok", [(raw, True) for raw in ACCEPTED_PRICES]
                         + [(raw, False) for raw in REFUSED_PRICES])
def test_product_price_is_valid_by_the_document_exactly_when_the_server_takes_it(raw, ok):
    assert accepted(ProductCreate, product_with("product_price", raw)) == ok
    for name in ("ProductCreate", "ProductPatch"):
        schema = SCHEMAS[name]["properties"]["product_price"]
        assert "type" not in schema  # only the anyOf decides
        assert valid_by_document(schema, raw) == ok, (name, raw)


ACCEPTED_BODY_IDS = [b"1", b"5", b"5.0", b"5e0", b"1E2", b"9223372036854775807"]
REFUSED_BODY_IDS = [b"0", b"-1", b"5.5", b"1e400", b"9223372036854775808", b'"5"', b"null",
                    b"true", b"[1]", b"{}"]


@pytest.mark.parametrize("raw, ok", [(raw, True) for raw in ACCEPTED_BODY_IDS]
                         + [(raw, False) for raw in REFUSED_BODY_IDS])
def test_a_body_id_is_valid_by_the_document_exactly_when_the_server_takes_it(raw, ok):
    # JSON Schema's integer is any whole number, 5.0 included: the server takes those too
    assert accepted(ProductCreate, product_with("user_id", raw)) == ok
    assert valid_by_document(SCHEMAS["ProductCreate"]["properties"]["user_id"], raw) == ok


ACCEPTED_NAMES = ["Lamp", "  Lamp  ", "x" * 255, " " * 5 + "x" * 255,
                  "\u3000" + "x" * 250 + "\t\n", "a b", "\x85", "\ufeff", "\x1c"]
REFUSED_NAMES = ["", " ", "\t\n\u3000\xa0", "x" * 256, " " + "x" * 256 + " ", "a\x00", "\x00"]


@pytest.mark.parametrize("value, ok", [(value, True) for value in ACCEPTED_NAMES]
                         + [(value, False) for value in REFUSED_NAMES])
def test_product_name_counts_after_trimming_in_both(value, ok):
    raw = msgspec.json.encode(value)
    assert accepted(ProductCreate, product_with("product_name", raw)) == ok
    assert valid_by_document(SCHEMAS["ProductCreate"]["properties"]["product_name"], raw) == ok


def test_a_name_is_stored_trimmed_of_what_the_pattern_calls_whitespace():
    body = msgspec.json.encode({"product_name": "\u3000\xa0 Lamp\t\n", "product_price": 1})
    assert msgspec.json.decode(body, type=ProductCreate).product_name == "Lamp"
    body = msgspec.json.encode({"product_name": "\x85Lamp\ufeff", "product_price": 1})
    assert msgspec.json.decode(body, type=ProductCreate).product_name == "\x85Lamp\ufeff"


@pytest.mark.parametrize("email", [
    "ada@example.com", " ada@example.com ", "a@b.c", "a.b+c@d.e.f",
    "000", "ada@", "ada.example.com", "a b@example.com", "ada@example", "ada@example.",
    "a@b@c.d", "ada@example.com\x00", "@example.com",
])
def test_email_is_valid_by_the_document_exactly_when_the_server_takes_it(email):
    raw = msgspec.json.encode({"name": "Ada", "email": email})
    schema = SCHEMAS["UserCreate"]["properties"]["email"]
    assert valid_by_document(schema, msgspec.json.encode(email)) == accepted(UserCreate, raw)


@pytest.mark.parametrize("url", [
    "https://a.example/x.jpg", "HTTP://A.Example:8080", "http://127.0.0.1:1/a?b#c",
    "http://[::1]/", "http://[fe80::1%25lo]/", "http://a.example/%41%2F",
    # refused
    "000", "http://", "http://a.example:0/", "http://a.example:65536/", "http://1.2.3/",
    "http://a.1/", "http://a.example/caf\xe9", "http://a.example/%zz", "ftp://a.example/",
    "http://u@a.example/", "http://a.example/a b", "http://a\\@b/", "http://[::1%lo]/",
    "http://" + "a." * 126 + "bc/",
])
def test_image_url_is_valid_by_the_document_exactly_when_the_server_takes_it(url):
    schema = SCHEMAS["ProductCreate"]["properties"]["product_images"]
    raw = msgspec.json.encode([url])
    assert valid_by_document(schema, raw) == accepted(ProductCreate, product_with(
        "product_images", raw)), url


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.from_regex(IMAGE_URL_PATTERN, fullmatch=True))
def test_every_url_the_pattern_matches_is_one_the_parser_reads(url):
    # The pattern is the server's rule only if the parser the worker uses never refuses it.
    if len(url) <= 2048:
        parse_image_url(url)


@pytest.mark.parametrize("raw, ok", [("1", True), ("49.9", True), ("", False), (".", False),
                                     ("\u0661", False), ("1_0", False), ("1e2", False)])
def test_price_bounds_in_queries_follow_the_same_pattern(raw, ok):
    (parameter,) = [p for p in DOCUMENT["paths"]["/products"]["get"]["parameters"]
                    if p["name"] == "min_price"]
    assert parameter["schema"]["pattern"] == SCHEMAS["ProductCreate"]["properties"][
        "product_price"]["anyOf"][0]["pattern"]
    assert jsonschema_rs.validator_for(parameter["schema"]).is_valid(raw) == ok


def ids() -> Iterator[tuple[str, dict]]:
    for name, schema in SCHEMAS.items():
        for field, field_schema in schema.get("properties", {}).items():
            # An event's id is the one string id: "evt_...", as docs/api.md shows it.
            if field in ("id", "user_id") and (name, field) != ("Event", "id"):
                yield f"{name}.{field}", field_schema
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    yield f"{method} {path} {parameter['name']}", parameter["schema"]


@pytest.mark.parametrize("where, schema", list(ids()))
def test_every_id_is_an_int64(where, schema):
    assert schema == {"type": "integer", "format": "int64", "minimum": 1, "maximum": ID_MAX}


def test_responses_type_prices_as_decimal_strings_and_timestamps_as_date_times():
    price = SCHEMAS["Product"]["properties"]["product_price"]
    assert price["type"] == "string"
    assert jsonschema_rs.validator_for(price).is_valid("49.90")
    assert not jsonschema_rs.validator_for(price).is_valid("\u0664\u0669.90")
    for name, field in [("Product", "created_at"), ("Product", "updated_at"),
                        ("User", "created_at"), ("UserCreated", "created_at")]:
        assert SCHEMAS[name]["properties"][field] == {"type": "string", "format": "date-time"}


@pytest.mark.parametrize("path, method", WRITES)
def test_every_rate_limited_write_documents_429_with_retry_after(path, method):
    response = DOCUMENT["paths"][path][method]["responses"]["429"]
    assert response["headers"]["Retry-After"]["required"] is True
    assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}


def test_event_ids_are_strings_of_their_pattern_and_the_feed_documents_its_parameters():
    assert SCHEMAS["Event"]["properties"]["id"]["pattern"] == EVENT_ID_PATTERN
    operation = DOCUMENT["paths"]["/users/{id}/events"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert set(parameters) == {"id", "after", "types", "limit"}
    types = jsonschema_rs.validator_for(parameters["types"])
    assert types.is_valid("product.created,product.images.finished")
    assert not types.is_valid("product.created,") and not types.is_valid("product")
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "503"}
