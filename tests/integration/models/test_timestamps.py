"""Timestamps leave the API in UTC ("Z") whatever time zone the database session has: nothing
sets it at connect time (PgBouncer 1.18 refuses a startup ``options``), and a role, database
or server setting may name another zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from falcon import testing

from api.app import create_app
from models.db import release


@pytest.fixture
def kolkata_sessions(clean_database, monkeypatch):
    """Every new connection's session in Asia/Kolkata (+05:30, no daylight saving), as a
    role's or the database's setting would make it: libpq reads PGOPTIONS when the code
    passes no options."""
    monkeypatch.setenv("PGOPTIONS", "-c timezone=Asia/Kolkata")
    release()
    clean_database.close_all()
    yield clean_database
    release()
    clean_database.close_all()  # before monkeypatch restores the environment


def recent_utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    moment = datetime.fromisoformat(text)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5), text
    return moment


def test_the_api_says_z_from_a_session_in_another_time_zone(kolkata_sessions, base_settings):
    # given: the pool's sessions really are in Kolkata
    assert kolkata_sessions.execute_sql("SHOW timezone").fetchone() == ("Asia/Kolkata",)
    release()
    api = testing.TestClient(create_app(base_settings.replace(cache_enabled=False)))

    # when: a user and a product are made, read and listed
    user = api.simulate_post("/users", json={"name": "Ada", "email": "ada@example.com"}).json
    auth = {"Authorization": f"Bearer {user['api_key']}"}
    created = api.simulate_post("/products", headers=auth, json={
        "product_name": "Lamp", "product_price": "9.99", "product_images": []}).json
    read = api.simulate_get(f"/products/{created['id']}").json
    [listed] = api.simulate_get(f"/products?user_id={user['id']}").json["items"]
    updated = api.simulate_patch(f"/products/{created['id']}", headers=auth,
                                 json={"product_price": "8.99"}).json

    # then: every timestamp is UTC, written with "Z"
    recent_utc(user["created_at"])
    for document in (created, read, listed, updated):
        assert recent_utc(document["created_at"]) <= recent_utc(document["updated_at"])
    assert read["created_at"] == created["created_at"] == listed["created_at"]


def test_timestamps_and_their_arrays_arrive_in_utc(kolkata_sessions):
    moment, moments, missing = kolkata_sessions.execute_sql(
        "SELECT now(), ARRAY[now(), NULL], NULL::timestamptz").fetchone()
    release()
    assert moment.tzinfo is UTC and moments == [moment, None] and missing is None
