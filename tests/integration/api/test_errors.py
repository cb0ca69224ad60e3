"""The transport-level statuses: 400, 413, 415, unknown routes, request ids."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/users", "/products"])
def test_invalid_json_is_400(client, make_user, path):
    account = make_user()
    result = client.simulate_post(
        path, body=b'{"name": ', headers={**account.auth, "Content-Type": "application/json"}
    )
    assert result.status_code == 400
    assert set(result.json) == {"title", "description"}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_body_that_is_not_json_is_415(client, make_user, content_type):
    account = make_user()
    headers = dict(account.auth)
    if content_type:
        headers["Content-Type"] = content_type
    result = client.simulate_post("/products", body=b"{}", headers=headers)
    assert result.status_code == 415
    assert result.json["description"]


def test_body_over_one_mebibyte_is_413_and_changes_nothing(client, make_user, clean_database):
    account = make_user()
    huge = b'{"product_name": "' + b"x" * (1024 * 1024) + b'", "product_price": 1}'
    result = client.simulate_post(
        "/products", body=huge, headers={**account.auth, "Content-Type": "application/json"}
    )
    assert result.status_code == 413
    assert clean_database.execute_sql("SELECT count(*) FROM products").fetchone()[0] == 0


def test_unknown_route_is_json_404(client):
    result = client.simulate_get("/no/such/thing", headers={"Accept": "application/xml"})
    assert result.status_code == 404
    assert result.headers["content-type"].startswith("application/json")
    assert set(result.json) == {"title", "description"}


def test_request_id_is_echoed_or_made(client):
    echoed = client.simulate_get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = client.simulate_get("/healthz")
    hostile = client.simulate_get("/healthz", headers={"X-Request-ID": "a\tb" * 100})
    assert echoed.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "a\tb" * 100


def test_health_and_readiness(client):
    assert client.simulate_get("/healthz").status_code == 200
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"] == "ok"
