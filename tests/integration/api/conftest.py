"""An in-process API over the real test database, helpers to make users and products, and the
API under real gunicorn for what gunicorn does before the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from falcon import testing

from api.app import create_app
from tests.support.accounts import Account
from tests.support.environment import settings_env
from tests.support.processes import ApiServer


@pytest.fixture
def client(base_settings, clean_database) -> testing.TestClient:
    return testing.TestClient(create_app(base_settings))


@pytest.fixture
def make_user(client):
    counter = iter(range(1, 10_000))

    def make(name: str = "Ada") -> Account:
        email = f"user{next(counter)}@example.com"
        result = client.simulate_post("/users", json={"name": name, "email": email})
        assert result.status_code == 201, result.text
        return Account(result.json["id"], result.json["api_key"], email)

    return make


@pytest.fixture
def make_product(client):
    def make(account: Account, **fields) -> dict:
        body = {"product_name": "Desk lamp", "product_price": "49.90", **fields}
        result = client.simulate_post("/products", json=body, headers=account.auth)
        assert result.status_code == 201, result.text
        return result.json

    return make


@pytest.fixture(scope="module")
def server(base_settings, bound_database, tmp_path_factory) -> Iterator[ApiServer]:
    """The API under gunicorn, one per test module."""
    api = ApiServer(settings_env(base_settings),
                    log_path=tmp_path_factory.mktemp("api") / "api.log")
    yield api
    api.stop()
