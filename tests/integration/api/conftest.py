"""An in-process API over the real test database, and helpers to make users and products."""

from __future__ import annotations

import pytest
from falcon import testing

from api.app import create_app
from tests.support.accounts import Account


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
