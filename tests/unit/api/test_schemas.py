"""Field rules of request bodies, decoded exactly as the API decodes them."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from api.schemas import ProductCreate, ProductPatch, UserCreate


def decode(raw: bytes, schema):
    return msgspec.json.decode(raw, type=schema)


@pytest.mark.parametrize(
    "raw_price, expected",
    [
        (b"0", Decimal("0.00")),
        (b"99999999.99", Decimal("99999999.99")),
        (b'"49.9"', Decimal("49.90")),
        (b"1.10", Decimal("1.10")),
        (b"1.100", Decimal("1.10")),
        (b"1e2", Decimal("100.00")),
    ],
)
def test_prices_accepted_as_numbers_or_strings(raw_price, expected):
    product = decode(b'{"product_name": "x", "product_price": ' + raw_price + b"}", ProductCreate)
    assert product.product_price == expected
    assert product.product_price.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "raw_price",
    [b"1.0000000000000001", b"1.001", b"-0.01", b"100000000", b'"NaN"', b'"Infinity"',
     b'"-0.001"', b"1e400", b'"abc"', b"true", b"null", b"[1]"],
)
def test_prices_rejected(raw_price):
    with pytest.raises(msgspec.ValidationError, match="product_price"):
        decode(b'{"product_name": "x", "product_price": ' + raw_price + b"}", ProductCreate)


def test_names_are_trimmed_and_must_not_be_blank():
    product = decode(b'{"product_name": "  Lamp ", "product_price": 1}', ProductCreate)
    assert product.product_name == "Lamp"
    with pytest.raises(msgspec.ValidationError, match="product_name"):
        decode(b'{"product_name": " \\t ", "product_price": 1}', ProductCreate)


@pytest.mark.parametrize(
    "url, ok",
    [("https://a.example/x.jpg", True), ("http://a.example", True),
     ("ftp://a.example/x.jpg", False), ("//a.example/x.jpg", False), ("https://", False),
     ("javascript:alert(1)", False), ("https://a.example/a b.jpg", False),
     # read as 169.254.169.254 by urllib.parse but fetched from 127.0.0.1 by urllib3
     ("http://127.0.0.1:18080\\@169.254.169.254/", False), ("http://u:p@a.example/", False),
     ("http://[fe80::1%25lo]/", True)],  # well-formed: the worker refuses it as blocked
)
def test_image_urls_must_be_absolute_http(url, ok):
    raw = msgspec.json.encode({"product_name": "x", "product_price": 1, "product_images": [url]})
    if ok:
        assert decode(raw, ProductCreate).product_images == [url]
    else:
        with pytest.raises(msgspec.ValidationError, match=r"product_images\[0\]"):
            decode(raw, ProductCreate)


def test_patch_reports_only_sent_fields_and_rejects_user_id():
    assert decode(b"{}", ProductPatch).changes() == {}
    assert decode(b'{"product_description": null}', ProductPatch).changes() == {
        "product_description": None
    }
    with pytest.raises(msgspec.ValidationError, match="user_id"):
        decode(b'{"user_id": 1}', ProductPatch)
    with pytest.raises(msgspec.ValidationError, match="product_name"):
        decode(b'{"product_name": null}', ProductPatch)


@pytest.mark.parametrize("email, ok", [("ada@example.com", True), (" ada@example.com ", True),
                                       ("ada@", False), ("ada.example.com", False),
                                       ("a b@example.com", False), ("ada@example", False)])
def test_email_must_look_like_an_address(email, ok):
    raw = msgspec.json.encode({"name": "Ada", "email": email})
    if ok:
        assert decode(raw, UserCreate).email == email.strip()
    else:
        with pytest.raises(msgspec.ValidationError, match="email"):
            decode(raw, UserCreate)
