"""Bodies built to break the decoder: deep nesting, invalid UTF-8, other charsets. Each is a
4xx JSON error, and nothing is written."""

from __future__ import annotations

import pytest

DEEP = b"[" * 1000 + b"]" * 1000
ENDLESS_OPEN = b"[" * 100_000
BAD_UTF8_PRODUCT = b'{"product_name":"\xff","product_price":"1"}'
BAD_UTF8_USER = b'{"name":"\xc3\x28","email":"ada@example.com"}'


def count(database, table: str) -> int:
    return database.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


@pytest.mark.parametrize("body", [DEEP, ENDLESS_OPEN, BAD_UTF8_PRODUCT, BAD_UTF8_USER],
                         ids=["nested-1000", "100k-open", "utf8-product", "utf8-user"])
@pytest.mark.parametrize("path", ["/users", "/products"])
def test_a_hostile_body_is_a_400_and_writes_nothing(client, make_user, clean_database, path,
                                                     body):
    # given
    account = make_user()
    users_before = count(clean_database, "users")

    # when
    result = client.simulate_post(
        path, body=body, headers={**account.auth, "Content-Type": "application/json"})

    # then
    assert result.status_code == 400, result.text
    assert set(result.json) == {"title", "description"}
    assert "Traceback" not in result.text and "recursion" not in result.text
    assert count(clean_database, "users") == users_before
    assert count(clean_database, "products") == 0


def test_a_hostile_patch_body_is_a_400_and_changes_nothing(client, make_user, make_product):
    account = make_user()
    product = make_product(account)
    before = client.simulate_get(f"/products/{product['id']}").json

    result = client.simulate_patch(
        f"/products/{product['id']}", body=DEEP,
        headers={**account.auth, "Content-Type": "application/json"})

    assert result.status_code == 400
    assert client.simulate_get(f"/products/{product['id']}").json == before


@pytest.mark.parametrize("content_type", [
    "application/json; charset=latin-1", "application/json; charset=utf-16",
    'application/json; charset="iso-8859-1"',
])
def test_json_in_another_charset_is_415(client, make_user, content_type):
    account = make_user()
    result = client.simulate_post(
        "/products", body='{"product_name": "café", "product_price": 1}'.encode("latin-1"),
        headers={**account.auth, "Content-Type": content_type})
    assert result.status_code == 415
    assert result.json["description"]


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
])
def test_json_in_utf8_is_taken(client, make_user, content_type):
    account = make_user()
    result = client.simulate_post(
        "/products", body='{"product_name": "café", "product_price": 1}'.encode(),
        headers={**account.auth, "Content-Type": content_type})
    assert result.status_code == 201
    assert result.json["product_name"] == "café"


@pytest.mark.parametrize(("path", "body"), [
    ("/products", {"product_name": "a\u0000b", "product_price": "1"}),
    ("/products", {"product_name": "lamp", "product_price": "1",
                   "product_description": "\u0000"}),
    ("/users", {"name": "a\u0000b", "email": "nul@example.com"}),
    ("/users", {"name": "Ada", "email": "a\u0000@example.com"}),
], ids=["product-name", "description", "user-name", "email"])
def test_a_nul_character_is_a_422_and_writes_nothing(client, make_user, clean_database, path,
                                                     body):
    account = make_user()
    users_before = count(clean_database, "users")

    result = client.simulate_post(path, json=body, headers=account.auth)

    assert result.status_code == 422, result.text
    assert count(clean_database, "users") == users_before
    assert count(clean_database, "products") == 0


def test_a_nul_character_in_a_patch_is_a_422_and_changes_nothing(client, make_user,
                                                                  make_product):
    account = make_user()
    product = make_product(account)
    before = client.simulate_get(f"/products/{product['id']}").json

    result = client.simulate_patch(f"/products/{product['id']}",
                                   json={"product_name": "x\u0000"}, headers=account.auth)

    assert result.status_code == 422
    assert client.simulate_get(f"/products/{product['id']}").json == before


@pytest.mark.parametrize("route", ["/products/{id}", "/products?user_id={user_id}",
                                   "/users/{user_id}", "/healthz", "/openapi.json"])
def test_head_works_wherever_get_does(client, make_user, make_product, route):
    account = make_user()
    product = make_product(account)
    path = route.format(id=product["id"], user_id=account.id)

    got = client.simulate_get(path)
    head = client.simulate_head(path)

    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
