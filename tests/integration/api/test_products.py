"""``/products`` over the real database: representation, rules, access and paging."""

from __future__ import annotations

import pytest


def count_products(database) -> int:
    return database.execute_sql("SELECT count(*) FROM products").fetchone()[0]


def test_create_then_get(client, make_user):
    account = make_user()
    result = client.simulate_post(
        "/products",
        headers=account.auth,
        json={"product_name": " Desk lamp ", "product_description": "Brass, 40 cm",
              "product_price": 49.9, "product_images": ["https://a.example/1.jpg"]},
    )
    assert result.status_code == 201
    created = result.json
    assert result.headers["location"] == f"/products/{created['id']}"
    assert created["product_name"] == "Desk lamp"
    assert created["user_id"] == account.id
    assert created["product_price"] == "49.90"
    assert created["compressed_product_images"] == [None]
    assert created["image_status"] == "pending" and created["image_errors"] == []
    assert created["created_at"].endswith("Z")
    fetched = client.simulate_get(f"/products/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json == created
    assert fetched.headers["x-cache"] in ("HIT", "MISS")


def test_product_without_images_is_done(client, make_user, make_product):
    product = make_product(make_user())
    assert product["image_status"] == "done"
    assert product["product_images"] == [] and product["product_description"] is None


@pytest.mark.parametrize("price, stored", [(0, "0.00"), ("99999999.99", "99999999.99"),
                                           ("0.1", "0.10"), (12, "12.00"), ("1.50", "1.50")])
def test_price_boundaries_accepted(client, make_user, make_product, price, stored):
    assert make_product(make_user(), product_price=price)["product_price"] == stored


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"product_price": "100000000.00"}, "product_price"),
        ({"product_price": -0.01}, "product_price"),
        ({"product_price": "1.001"}, "product_price"),
        ({"product_price": "NaN"}, "product_price"),
        ({"product_price": None}, "product_price"),
        ({"product_price": True}, "product_price"),
        ({"product_name": ""}, "product_name"),
        ({"product_name": "   "}, "product_name"),
        ({"product_name": "x" * 256}, "product_name"),
        ({"product_name": None}, "product_name"),
        ({"product_name": 7}, "product_name"),
        ({"product_description": "x" * 10_001}, "product_description"),
        ({"product_images": ["ftp://a.example/1.jpg"]}, "product_images"),
        ({"product_images": ["/relative.jpg"]}, "product_images"),
        ({"product_images": ["https://a.example/" + "x" * 2040]}, "product_images"),
        ({"product_images": [f"https://a.example/{i}.jpg" for i in range(11)]}, "product_images"),
        ({"product_images": "https://a.example/1.jpg"}, "product_images"),
        ({"colour": "red"}, "colour"),
        ({"user_id": "1"}, "user_id"),
        ({"user_id": 2**64}, "user_id"),
    ],
)
def test_field_rules_are_422_and_change_nothing(client, make_user, clean_database, fields, named):
    account = make_user()
    body = {"product_name": "Lamp", "product_price": "1.00", **fields}
    result = client.simulate_post("/products", json=body, headers=account.auth)
    assert result.status_code == 422, result.text
    assert named in result.json["description"]
    assert count_products(clean_database) == 0


def test_price_is_read_exactly_not_through_a_binary_float(client, make_user, clean_database):
    # Python's json would round this to 1.0 before sending, so the body is written by hand.
    body = b'{"product_name": "Lamp", "product_price": 1.0000000000000001}'
    result = client.simulate_post(
        "/products", body=body,
        headers={**make_user().auth, "Content-Type": "application/json"},
    )
    assert result.status_code == 422
    assert "decimal places" in result.json["description"]
    assert count_products(clean_database) == 0


def test_missing_required_field_is_422(client, make_user):
    result = client.simulate_post("/products", json={"product_name": "Lamp"},
                                  headers=make_user().auth)
    assert result.status_code == 422
    assert "product_price" in result.json["description"]


def test_user_id_defaults_to_key_and_must_match_it(client, make_user, clean_database):
    ada, bob = make_user(), make_user()
    own = client.simulate_post("/products", headers=ada.auth,
                               json={"product_name": "L", "product_price": 1, "user_id": ada.id})
    other = client.simulate_post("/products", headers=ada.auth,
                                 json={"product_name": "L", "product_price": 1, "user_id": bob.id})
    assert own.status_code == 201 and own.json["user_id"] == ada.id
    assert other.status_code == 403
    assert count_products(clean_database) == 1


@pytest.mark.parametrize("raw_id", ["424242", "0", "-3", "abc", "9223372036854775808", "1e3"])
def test_unknown_or_malformed_product_id_is_404(client, make_user, raw_id):
    account = make_user()
    for result in (
        client.simulate_get(f"/products/{raw_id}"),
        client.simulate_patch(f"/products/{raw_id}", json={}, headers=account.auth),
        client.simulate_delete(f"/products/{raw_id}", headers=account.auth),
    ):
        assert result.status_code == 404
        assert set(result.json) == {"title", "description"}


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic abc"}]
)
def test_writes_without_a_valid_key_are_401_and_change_nothing(
    client, make_user, make_product, clean_database, headers
):
    product = make_product(make_user())
    path = f"/products/{product['id']}"
    results = [
        client.simulate_post("/products", json={"product_name": "L", "product_price": 1},
                             headers=headers),
        client.simulate_patch(path, json={"product_name": "Changed"}, headers=headers),
        client.simulate_delete(path, headers=headers),
    ]
    assert [r.status_code for r in results] == [401, 401, 401]
    assert "WWW-Authenticate" in results[0].headers or "www-authenticate" in results[0].headers
    assert count_products(clean_database) == 1
    assert client.simulate_get(path).json == product


def test_writes_to_another_users_product_are_403_and_change_nothing(
    client, make_user, make_product
):
    owner, stranger = make_user(), make_user()
    product = make_product(owner)
    path = f"/products/{product['id']}"
    patched = client.simulate_patch(path, json={"product_name": "Mine"}, headers=stranger.auth)
    deleted = client.simulate_delete(path, headers=stranger.auth)
    assert (patched.status_code, deleted.status_code) == (403, 403)
    assert client.simulate_get(path).json == product


def test_patch_changes_only_what_is_sent(client, make_user, make_product):
    account = make_user()
    product = make_product(account, product_description="Old")
    path = f"/products/{product['id']}"
    nothing = client.simulate_patch(path, json={}, headers=account.auth)
    assert nothing.status_code == 200 and nothing.json == product
    changed = client.simulate_patch(
        path, json={"product_price": "10", "product_description": None}, headers=account.auth
    )
    assert changed.status_code == 200
    assert changed.json["product_price"] == "10.00"
    assert changed.json["product_description"] is None
    assert changed.json["product_name"] == product["product_name"]
    assert client.simulate_get(path).json == changed.json


@pytest.mark.parametrize("body", [{"user_id": 5}, {"owner": 1}, {"product_name": None},
                                  {"product_price": "-1"}, {"product_images": [1]}])
def test_patch_rules_are_422(client, make_user, make_product, body):
    account = make_user()
    product = make_product(account)
    result = client.simulate_patch(f"/products/{product['id']}", json=body, headers=account.auth)
    assert result.status_code == 422
    assert client.simulate_get(f"/products/{product['id']}").json == product


def test_patch_keeps_copies_of_urls_it_keeps_wherever_they_stand(
    client, make_user, make_product, clean_database
):
    # given: a product whose first image already has a copy, and whose second failed
    account = make_user()
    a, b, c = (f"https://img.example/{name}.jpg" for name in "abc")
    product = make_product(account, product_images=[a, b])
    clean_database.execute_sql(
        "UPDATE products SET compressed_product_images = ARRAY[%s, NULL],"
        " image_failures = jsonb_build_object(%s::text, 'HTTP 404') WHERE id = %s",
        ("https://cdn.example/a.jpg", b, product["id"]),
    )
    failed = client.simulate_get(f"/products/{product['id']}").json
    assert failed["image_status"] == "failed"
    # A failure stored as a bare string (written before codes) shows with no code.
    assert failed["image_errors"] == [{"index": 1, "url": b, "reason": "HTTP 404", "code": None}]
    # when: the images are reordered and one is added
    result = client.simulate_patch(f"/products/{product['id']}", headers=account.auth,
                                   json={"product_images": [c, b, a]})
    # then
    assert result.json["compressed_product_images"] == [None, None, "https://cdn.example/a.jpg"]
    assert result.json["image_status"] == "pending" and result.json["image_errors"] == []


def test_delete_then_get_is_404(client, make_user, make_product):
    account = make_user()
    product = make_product(account)
    assert client.simulate_get(f"/products/{product['id']}").status_code == 200
    assert client.simulate_delete(f"/products/{product['id']}",
                                  headers=account.auth).status_code == 204
    assert client.simulate_get(f"/products/{product['id']}").status_code == 404
    assert client.simulate_delete(f"/products/{product['id']}",
                                  headers=account.auth).status_code == 404
