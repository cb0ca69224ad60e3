"""Rate limits against a real Redis: writes per user, sign-ups per client address, 429 with
Retry-After, and no limit at all (rather than refusals) while Redis is down."""

from __future__ import annotations

import pytest
from falcon import testing

from api.app import create_app
from models.db import db
from tests.support.environment import settings_env
from tests.support.processes import ApiServer, free_port

LAMP = {"product_name": "Lamp", "product_price": "9.99"}


def app_with(base_settings, **limits) -> testing.TestClient:
    # The suite turns the limits off (tests/conftest.py); these tests turn on what they test.
    return testing.TestClient(create_app(base_settings.replace(**limits)))


def sign_up(client: testing.TestClient, email: str, **kwargs) -> testing.Result:
    return client.simulate_post("/users", json={"name": "Ada", "email": email}, **kwargs)


def product_count() -> int:
    return db.execute_sql("SELECT count(*) FROM products").fetchone()[0]


def assert_too_many(result: testing.Result, *, most_seconds: int) -> None:
    assert result.status_code == 429, result.text
    assert 1 <= int(result.headers["Retry-After"]) <= most_seconds
    assert result.json["title"] == "Too Many Requests"


def test_every_write_takes_a_token_whatever_its_answer(base_settings, clean_database):
    client = app_with(base_settings, rate_limit_writes_per_minute=3)
    ada = sign_up(client, "ada@example.com").json
    bob = sign_up(client, "bob@example.com").json
    auth = {"Authorization": f"Bearer {ada['api_key']}"}

    created = client.simulate_post("/products", json=LAMP, headers=auth)
    refused = client.simulate_post("/products", json={"product_price": "x"}, headers=auth)
    patched = client.simulate_patch(f"/products/{created.json['id']}",
                                    json={"product_name": "Desk lamp"}, headers=auth)
    over = client.simulate_delete(f"/products/{created.json['id']}", headers=auth)

    assert [created.status_code, refused.status_code, patched.status_code] == [201, 422, 200]
    assert_too_many(over, most_seconds=20)  # 3 a minute: a token every 20 s
    assert client.simulate_get(f"/products/{created.json['id']}").status_code == 200
    # another user's bucket is their own
    bob_auth = {"Authorization": f"Bearer {bob['api_key']}"}
    assert client.simulate_post("/products", json=LAMP, headers=bob_auth).status_code == 201


def test_a_refused_write_changes_nothing_and_a_rotation_keeps_the_bucket(base_settings,
                                                                          clean_database):
    client = app_with(base_settings, rate_limit_writes_per_minute=1)
    ada = sign_up(client, "ada@example.com").json
    auth = {"Authorization": f"Bearer {ada['api_key']}"}
    assert client.simulate_post("/products", json=LAMP, headers=auth).status_code == 201

    assert_too_many(client.simulate_post("/products", json=LAMP, headers=auth), most_seconds=60)
    assert_too_many(client.simulate_post(f"/users/{ada['id']}/api-key", headers=auth),
                    most_seconds=60)
    assert product_count() == 1
    # the key was not rotated: it still reads the user's own e-mail
    assert client.simulate_get(f"/users/{ada['id']}", headers=auth).json["email"] \
        == "ada@example.com"


def test_a_write_without_a_valid_key_is_a_401_not_a_429(base_settings, clean_database):
    client = app_with(base_settings, rate_limit_writes_per_minute=1)
    for _ in range(3):
        assert client.simulate_post("/products", json=LAMP).status_code == 401


def test_sign_ups_are_limited_per_client_address(base_settings, clean_database):
    client = app_with(base_settings, rate_limit_signups_per_minute=2)
    first = [sign_up(client, f"a{i}@example.com", remote_addr="203.0.113.5").status_code
             for i in range(2)]

    assert first == [201, 201]
    assert_too_many(sign_up(client, "a3@example.com", remote_addr="203.0.113.5"),
                    most_seconds=30)
    # a header of its own does not give an untrusted client a new bucket
    assert_too_many(sign_up(client, "a4@example.com", remote_addr="203.0.113.5",
                            headers={"X-Forwarded-For": "198.51.100.77"}), most_seconds=30)
    assert sign_up(client, "b1@example.com", remote_addr="203.0.113.6").status_code == 201
    assert db.execute_sql("SELECT count(*) FROM users").fetchone()[0] == 3


def test_behind_a_trusted_proxy_the_forwarded_address_has_the_bucket(base_settings,
                                                                      clean_database):
    client = app_with(base_settings, rate_limit_signups_per_minute=1,
                      trusted_proxies=("10.0.0.0/8",))
    via_proxy = {"remote_addr": "10.0.0.2"}

    one = sign_up(client, "c1@example.com", headers={"X-Forwarded-For": "198.51.100.1"},
                  **via_proxy)
    other = sign_up(client, "c2@example.com", headers={"X-Forwarded-For": "198.51.100.2"},
                    **via_proxy)
    again = sign_up(client, "c3@example.com", headers={"X-Forwarded-For": "198.51.100.1"},
                    **via_proxy)

    assert (one.status_code, other.status_code) == (201, 201)
    assert_too_many(again, most_seconds=60)


def test_with_redis_down_requests_are_not_limited(base_settings, clean_database):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    client = app_with(base_settings, redis_url=closed, rate_limit_writes_per_minute=1,
                      rate_limit_signups_per_minute=1)
    ada = sign_up(client, "ada@example.com").json
    assert sign_up(client, "bob@example.com").status_code == 201
    auth = {"Authorization": f"Bearer {ada['api_key']}"}

    statuses = [client.simulate_post("/products", json=LAMP, headers=auth).status_code
                for _ in range(3)]

    assert statuses == [201, 201, 201]


@pytest.fixture
def limited_server(base_settings, clean_database, tmp_path):
    env = settings_env(base_settings.replace(rate_limit_signups_per_minute=2))
    api = ApiServer(env, workers=2, log_path=tmp_path / "api.log")
    yield api
    api.stop()


def test_processes_of_one_server_share_the_buckets(limited_server):
    import requests

    # each request is a new connection, which either gunicorn process may accept
    statuses = []
    for i in range(6):
        result = requests.post(limited_server.url + "/users", timeout=10,
                               json={"name": "Ada", "email": f"p{i}@example.com"})
        statuses.append(result.status_code)
        if result.status_code == 429:
            assert int(result.headers["Retry-After"]) >= 1
            assert result.json()["title"] == "Too Many Requests"

    assert statuses == [201, 201, 429, 429, 429, 429]
