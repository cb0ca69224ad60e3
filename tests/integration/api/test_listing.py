"""``GET /products``: filters, paging and its 400s."""

from __future__ import annotations

import pytest

from models.db import release
from models.products import create_product


def list_all(client, **params) -> list[dict]:
    items, cursor = [], None
    for _ in range(1000):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        result = client.simulate_get("/products", params=query)
        assert result.status_code == 200, result.text
        items += result.json["items"]
        cursor = result.json["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging did not end")


def test_user_without_products_gets_an_empty_list(client, make_user):
    account = make_user()
    for user_id in (account.id, 987654, 2**70):
        result = client.simulate_get("/products", params={"user_id": user_id})
        assert result.status_code == 200
        assert result.json == {"items": [], "next_cursor": None}


def test_newest_first_and_filters(client, make_user, make_product):
    ada, bob = make_user(), make_user()
    cheap = make_product(ada, product_name="Cheap Lamp", product_price="5.00")
    mid = make_product(ada, product_name="Brass lamp", product_price="50.00")
    dear = make_product(ada, product_name="Desk", product_price="500.00")
    make_product(bob, product_name="Bob's lamp", product_price="50.00")
    ids = lambda items: [item["id"] for item in items]  # noqa: E731
    assert ids(list_all(client, user_id=ada.id)) == [dear["id"], mid["id"], cheap["id"]]
    assert ids(list_all(client, user_id=ada.id, min_price="5", max_price="50")) == [
        mid["id"], cheap["id"]]
    assert ids(list_all(client, user_id=ada.id, min_price="50.00", max_price="50")) == [mid["id"]]
    assert ids(list_all(client, user_id=ada.id, name="LAMP")) == [mid["id"], cheap["id"]]


def test_name_filter_matches_percent_underscore_and_backslash_literally(
    client, make_user, make_product
):
    account = make_user()
    percent = make_product(account, product_name="100% cotton")
    underscore = make_product(account, product_name="snake_case")
    backslash = make_product(account, product_name="back\\slash")
    make_product(account, product_name="100 cotton shirt")
    make_product(account, product_name="snakeXcase")
    for needle, expected in (("0%", percent), ("e_c", underscore), ("k\\s", backslash)):
        items = list_all(client, user_id=account.id, name=needle)
        assert [item["id"] for item in items] == [expected["id"]], needle


def test_paging_while_products_are_added_neither_skips_nor_repeats(
    client, make_user, clean_database
):
    # given: 25 products
    account = make_user()
    existing = [create_product(account.id, f"p{i}", None, [], 1).id for i in range(25)]
    release()
    seen, cursor = [], None
    # when: a new product arrives before every page is fetched
    for round_number in range(100):
        create_product(account.id, f"new{round_number}", None, [], 1)
        release()
        params = {"user_id": account.id, "limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.simulate_get("/products", params=params).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then: every product that existed when paging began, once, newest first
    paged_existing = [product_id for product_id in seen if product_id in set(existing)]
    assert paged_existing == sorted(existing, reverse=True)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"user_id": "abc"},
        {"user_id": "0"},
        {"user_id": "1", "limit": "0"},
        {"user_id": "1", "limit": "101"},
        {"user_id": "1", "limit": "ten"},
        {"user_id": "1", "min_price": "cheap"},
        {"user_id": "1", "max_price": "-1"},
        {"user_id": "1", "min_price": "10", "max_price": "5"},
        {"user_id": "1", "cursor": "not-a-cursor"},
        {"user_id": "1", "cursor": "MTIzLpa4z5Mx6FQUWlcXWw"},
        {"user_id": "1", "min_price": "NaN"},
        # Numbers PostgreSQL's numeric cannot hold, and digits of other scripts.
        {"user_id": "1", "min_price": "1e999999"},
        {"user_id": "1", "max_price": "1e131072"},
        {"user_id": "1", "min_price": "1e-16384"},
        {"user_id": "1", "min_price": "١٢"},
        {"user_id": "1", "min_price": ""},
        {"user_id": "1", "name": "\x00"},
        {"user_id": "1", "name": "a\x00b"},
    ],
)
def test_bad_query_parameters_are_400(client, params):
    result = client.simulate_get("/products", params=params)
    assert result.status_code == 400, params
    assert result.json["description"]


def test_limit_and_cursor(client, make_user, make_product):
    account = make_user()
    made = [make_product(account, product_name=f"item {i}")["id"] for i in range(5)]
    first = client.simulate_get("/products", params={"user_id": account.id, "limit": 2}).json
    assert [item["id"] for item in first["items"]] == made[::-1][:2]
    assert first["next_cursor"]
    assert [item["id"] for item in list_all(client, user_id=account.id, limit=2)] == made[::-1]
