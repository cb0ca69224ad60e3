"""``/users`` over the real database."""

from __future__ import annotations

import threading

import pytest
from falcon import testing

from api.app import create_app


def test_create_user_shows_key_once_and_stores_only_its_hash(client, clean_database):
    # when
    result = client.simulate_post("/users", json={"name": "  Ada  ", "email": "ada@example.com"})
    # then
    assert result.status_code == 201
    body = result.json
    assert result.headers["location"] == f"/users/{body['id']}"
    assert body["name"] == "Ada" and body["email"] == "ada@example.com"
    assert body["api_key"].startswith("pcat_") and len(body["api_key"]) > 40
    stored = clean_database.execute_sql("SELECT api_key_hash FROM users").fetchone()[0]
    assert body["api_key"].encode() not in bytes(stored)
    assert "api_key" not in client.simulate_get(f"/users/{body['id']}").json


def test_get_user_shows_email_only_to_its_own_key(client, make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    public = client.simulate_get(f"/users/{ada.id}")
    own = client.simulate_get(f"/users/{ada.id}", headers=ada.auth)
    other = client.simulate_get(f"/users/{ada.id}", headers=bob.auth)
    assert public.status_code == 200 and set(public.json) == {"id", "name", "created_at"}
    assert own.json["email"] == ada.email
    assert "email" not in other.json


@pytest.mark.parametrize("raw_id", ["999", "0", "-1", "abc", "99999999999999999999999", "1.5"])
def test_unknown_or_malformed_user_id_is_404(client, raw_id):
    result = client.simulate_get(f"/users/{raw_id}")
    assert result.status_code == 404
    assert set(result.json) == {"title", "description"}


def test_email_is_unique_without_regard_to_case(client, clean_database):
    first = client.simulate_post("/users", json={"name": "Ada", "email": "Ada@Example.com"})
    second = client.simulate_post("/users", json={"name": "Other", "email": "ada@example.COM"})
    assert first.status_code == 201
    assert second.status_code == 409
    assert "email" in second.json["description"]
    assert clean_database.execute_sql("SELECT count(*) FROM users").fetchone()[0] == 1


def test_two_concurrent_creates_with_one_email_give_one_201_and_one_409(
    base_settings, clean_database
):
    # given: two independent app instances, as two gunicorn workers would have
    apps = [testing.TestClient(create_app(base_settings)) for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses = []

    def sign_up(client):
        barrier.wait()
        result = client.simulate_post("/users", json={"name": "A", "email": "same@example.com"})
        statuses.append(result.status_code)

    # when
    threads = [threading.Thread(target=sign_up, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then
    assert sorted(statuses) == [201, 409]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": "   ", "email": "a@example.com"}, "name"),
        ({"name": "x" * 256, "email": "a@example.com"}, "name"),
        ({"name": "Ada", "email": "not-an-address"}, "email"),
        ({"name": "Ada", "email": "a" * 250 + "@example.com"}, "email"),
        ({"name": "Ada"}, "email"),
        ({"name": None, "email": "a@example.com"}, "name"),
        ({"name": 5, "email": "a@example.com"}, "name"),
        ({"name": "Ada", "email": "a@example.com", "admin": True}, "admin"),
    ],
)
def test_user_field_rules_are_422_naming_the_field(client, clean_database, body, field):
    result = client.simulate_post("/users", json=body)
    assert result.status_code == 422
    assert field in result.json["description"]
    assert clean_database.execute_sql("SELECT count(*) FROM users").fetchone()[0] == 0


def test_a_rotated_key_replaces_the_old_one_at_once(client, make_user, make_product):
    # given a user whose key leaked
    ada = make_user("Ada")
    product = make_product(ada)

    # when the user asks for a new key with the old one
    result = client.simulate_post(f"/users/{ada.id}/api-key", headers=ada.auth)

    # then the new key writes and the old one is refused
    assert result.status_code == 201
    new_key = result.json["api_key"]
    assert result.json["id"] == ada.id and new_key.startswith("pcat_") and new_key != ada.api_key
    old = client.simulate_patch(f"/products/{product['id']}", json={"product_name": "old"},
                                headers=ada.auth)
    assert old.status_code == 401
    new = client.simulate_patch(f"/products/{product['id']}", json={"product_name": "new"},
                                headers={"Authorization": f"Bearer {new_key}"})
    assert new.status_code == 200 and new.json["product_name"] == "new"
    assert client.simulate_post(f"/users/{ada.id}/api-key", headers=ada.auth).status_code == 401


def test_only_the_users_own_key_rotates_it(client, make_user):
    ada, bob = make_user("Ada"), make_user("Bob")
    assert client.simulate_post(f"/users/{ada.id}/api-key").status_code == 401
    assert client.simulate_post(f"/users/{ada.id}/api-key", headers=bob.auth).status_code == 403
    assert client.simulate_post("/users/999999/api-key", headers=bob.auth).status_code == 403
    assert client.simulate_post("/users/abc/api-key", headers=bob.auth).status_code == 404
    # Bob's and Ada's keys still work: a refused rotation changed nothing.
    assert client.simulate_get(f"/users/{ada.id}", headers=ada.auth).json["email"] == ada.email
    assert client.simulate_get(f"/users/{bob.id}", headers=bob.auth).json["email"] == bob.email
