"""Query parameters that PostgreSQL could not hold are refused before any query runs."""

from __future__ import annotations

from decimal import Decimal

import falcon
import falcon.testing
import pytest

from api.params import query_price, query_text


def request(query_string: str) -> falcon.Request:
    return falcon.testing.create_req(query_string=query_string)


@pytest.mark.parametrize("raw", [
    "1e999999", "1e131072", "1e-16384", "١٢", "1_000", "1.005", "-1", "NaN", "Infinity",
    "100000000", " 5", "5 ", "0x10", "",
])
def test_a_price_bound_outside_the_stored_range_or_form_is_a_400(raw: str) -> None:
    # given a bound that numeric(10,2) could overflow on, or digits of another form
    req = request("min_price=" + raw.replace(" ", "%20"))

    # when / then
    with pytest.raises(falcon.HTTPBadRequest):
        query_price(req, "min_price")


@pytest.mark.parametrize(("raw", "value"), [
    ("0", Decimal("0")), ("5", Decimal("5")), ("49.9", Decimal("49.9")),
    ("99999999.99", Decimal("99999999.99")),
])
def test_a_price_bound_in_range_is_read_exactly(raw: str, value: Decimal) -> None:
    assert query_price(request("min_price=" + raw), "min_price") == value


def test_a_missing_price_bound_is_none() -> None:
    assert query_price(request(""), "min_price") is None


@pytest.mark.parametrize("query_string", ["name=%00", "name=a%00b", "name=" + "a" * 256])
def test_a_text_filter_with_nul_or_too_long_is_a_400(query_string: str) -> None:
    with pytest.raises(falcon.HTTPBadRequest):
        query_text(request(query_string), "name")


def test_a_text_filter_keeps_its_text() -> None:
    assert query_text(request("name=desk%20lamp"), "name") == "desk lamp"
