"""Users and product changes made through the real API, for the stream's tests: each change
writes one event (docs/api.md)."""

from __future__ import annotations

import uuid

import requests

from tests.support.accounts import Account

#: The one origin of the fixtures' EVENTS_CORS_ORIGINS.
ALLOWED_ORIGIN = "https://allowed.example"


def sign_up(api_url: str) -> Account:
    email = f"{uuid.uuid4().hex}@example.com"
    response = requests.post(api_url + "/users", json={"name": "Ada", "email": email},
                             timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["id"], body["api_key"], email)


def create_product(api_url: str, account: Account, name: str = "Lamp") -> dict:
    """A new product: one ``product.created`` event."""
    response = requests.post(api_url + "/products", headers=account.auth, timeout=10,
                             json={"product_name": name, "product_price": "9.99"})
    assert response.status_code == 201, response.text
    return response.json()


def rename(api_url: str, account: Account, product_id: int, name: str) -> None:
    """One ``product.updated`` event whose product is named ``name``."""
    response = requests.patch(f"{api_url}/products/{product_id}", headers=account.auth,
                              json={"product_name": name}, timeout=10)
    assert response.status_code == 200, response.text
