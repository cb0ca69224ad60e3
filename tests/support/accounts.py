"""Users and products made through the API, for tests that need one to act on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests


@dataclass
class Account:
    id: int
    api_key: str
    email: str

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key}"}


def sign_up_and_create(base_url: str, **fields: object) -> tuple[dict, dict]:
    """A new user and one product of theirs on a running server: (product, auth headers)."""
    user = requests.post(base_url + "/users", timeout=10,
                         json={"name": "Ada", "email": f"ada-{uuid.uuid4().hex}@example.com"}
                         ).json()
    auth = {"Authorization": f"Bearer {user['api_key']}"}
    body = {"product_name": "Lamp", "product_price": "9.99", **fields}
    product = requests.post(base_url + "/products", json=body, headers=auth, timeout=10).json()
    return product, auth
