"""/webhooks through the app over the real database: registration (the secret shown once),
reading, changing, deleting, rotating, the delivery log and retries; the owner-only rule; the
URL check at creation; answers to bad bodies."""

from __future__ import annotations

import pytest
from falcon import testing

from api.app import create_app
from models.db import db

HOOK = {"url": "https://receiver.invalid/hooks", "events": ["product.images.finished"]}


def create(client, account, **body):
    return client.simulate_post("/webhooks", json={**HOOK, **body}, headers=account.auth)


def test_creation_shows_the_secret_once(client, make_user):
    ada = make_user()
    result = create(client, ada, description="shop")
    assert result.status_code == 201, result.text
    created = result.json
    assert created["secret"].startswith("whsec_")
    assert created["url"] == HOOK["url"]
    assert created["events"] == ["product.images.finished"]
    assert result.headers["Location"] == f"/webhooks/{created['id']}"
    read = client.simulate_get(f"/webhooks/{created['id']}", headers=ada.auth)
    assert read.status_code == 200
    assert read.json["enabled"] is True and read.json["disabled_reason"] is None
    listed = client.simulate_get("/webhooks", headers=ada.auth)
    assert [each["id"] for each in listed.json["items"]] == [created["id"]]
    for text in (read.text, listed.text):
        assert created["secret"] not in text and "secret" not in text
    # Stored as it is: deliveries sign with it.
    stored = db.execute_sql("SELECT secret FROM webhooks WHERE id = %s",
                            (created["id"],)).fetchone()[0]
    assert stored == created["secret"]


def test_all_types_and_repeats(client, make_user):
    ada = make_user()
    assert create(client, ada, events=["product.created", "*"]).json["events"] == ["*"]
    assert create(client, ada, events=["product.created", "product.created"]
                  ).json["events"] == ["product.created"]


def test_patch_changes_url_events_and_enabled(client, make_user):
    ada = make_user()
    hook = create(client, ada).json
    db.execute_sql("UPDATE webhooks SET enabled = false, disabled_reason = 'x',"
                   " consecutive_failures = 9 WHERE id = %s", (hook["id"],))
    result = client.simulate_patch(f"/webhooks/{hook['id']}", headers=ada.auth, json={
        "url": "https://other.invalid/h", "events": ["*"], "enabled": True})
    assert result.status_code == 200, result.text
    assert result.json["url"] == "https://other.invalid/h"
    assert result.json["events"] == ["*"]
    assert result.json["enabled"] is True
    assert result.json["disabled_reason"] is None and result.json["consecutive_failures"] == 0
    off = client.simulate_patch(f"/webhooks/{hook['id']}", headers=ada.auth,
                                json={"enabled": False})
    assert off.json["enabled"] is False


def test_rotation_keeps_the_old_secret_signing_for_a_day(client, make_user):
    ada = make_user()
    hook = create(client, ada).json
    result = client.simulate_post(f"/webhooks/{hook['id']}/secret", headers=ada.auth)
    assert result.status_code == 201, result.text
    assert result.json["secret"].startswith("whsec_")
    assert result.json["secret"] != hook["secret"]
    current, previous, hours = db.execute_sql(
        "SELECT secret, previous_secret,"
        " extract(epoch FROM previous_secret_expires_at - now()) / 3600"
        " FROM webhooks WHERE id = %s", (hook["id"],)).fetchone()
    assert (current, previous) == (result.json["secret"], hook["secret"])
    assert 23.9 < float(hours) <= 24


def test_delete(client, make_user):
    ada = make_user()
    hook = create(client, ada).json
    assert client.simulate_delete(f"/webhooks/{hook['id']}", headers=ada.auth
                                  ).status_code == 204
    assert client.simulate_get(f"/webhooks/{hook['id']}", headers=ada.auth).status_code == 404


def _delivery(webhook_id: int, event: str, status: str) -> int:
    return db.execute_sql(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body, status,"
        " attempts, last_status, next_attempt_at)"
        " VALUES (%s, %s, 'product.created', '{}', %s, 7, 500, NULL) RETURNING id",
        (webhook_id, event, status)).fetchone()[0]


def test_the_delivery_log_newest_first_in_pages_and_a_retry(client, make_user):
    ada = make_user()
    hook = create(client, ada).json
    ids = [_delivery(hook["id"], f"evt_{n:032x}", "failed") for n in range(1, 4)]
    first = client.simulate_get(f"/webhooks/{hook['id']}/deliveries", headers=ada.auth,
                                params={"limit": 2})
    assert first.status_code == 200, first.text
    assert [each["id"] for each in first.json["items"]] == ids[:0:-1]
    item = first.json["items"][0]
    assert item["status"] == "failed" and item["attempts"] == 7 and item["last_status"] == 500
    assert item["event_id"] == f"evt_{3:032x}" and item["next_attempt_at"] is None
    rest = client.simulate_get(f"/webhooks/{hook['id']}/deliveries", headers=ada.auth,
                               params={"cursor": first.json["next_cursor"]})
    assert [each["id"] for each in rest.json["items"]] == ids[:1]
    assert rest.json["next_cursor"] is None
    retried = client.simulate_post(f"/webhooks/{hook['id']}/deliveries/{ids[0]}/retry",
                                   headers=ada.auth)
    assert retried.status_code == 202, retried.text
    assert retried.json["status"] == "pending" and retried.json["next_attempt_at"]
    bad = client.simulate_get(f"/webhooks/{hook['id']}/deliveries", headers=ada.auth,
                              params={"cursor": "forged"})
    assert bad.status_code == 400


def test_another_users_key_gets_404_on_every_endpoint(client, make_user):
    ada, eve = make_user(), make_user("Eve")
    hook = create(client, ada).json
    delivery = _delivery(hook["id"], f"evt_{1:032x}", "failed")
    base = f"/webhooks/{hook['id']}"
    calls = [
        ("GET", base, None), ("PATCH", base, {"enabled": False}), ("DELETE", base, None),
        ("GET", base + "/deliveries", None),
        ("POST", f"{base}/deliveries/{delivery}/retry", None),
        ("POST", base + "/secret", None),
    ]
    for method, path, body in calls:
        result = client.simulate_request(method, path, headers=eve.auth, json=body)
        assert result.status_code == 404, (method, path, result.text)
        assert client.simulate_request(method, path, json=body).status_code == 401
    assert client.simulate_get("/webhooks", headers=eve.auth).json == {"items": []}
    # Nothing of Ada's changed.
    row = db.execute_sql("SELECT enabled, secret FROM webhooks WHERE id = %s",
                         (hook["id"],)).fetchone()
    assert row == (True, hook["secret"])
    # A delivery of another webhook of one's own is not reachable through it either.
    own = create(client, eve).json
    assert client.simulate_post(f"/webhooks/{own['id']}/deliveries/{delivery}/retry",
                                headers=eve.auth).status_code == 404


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
    "http://169.254.169.254/latest", "http://localhost:9/hook",
])
def test_a_url_on_a_blocked_address_is_refused(base_settings, clean_database, url):
    client = testing.TestClient(create_app(base_settings.replace(
        image_fetch_allow_private=False)))
    user = client.simulate_post("/users", json={"name": "Ada", "email": "a@example.com"}).json
    auth = {"Authorization": f"Bearer {user['api_key']}"}
    result = client.simulate_post("/webhooks", json={**HOOK, "url": url}, headers=auth)
    assert result.status_code == 422, result.text
    assert "`url`" in result.json["description"]
    hook = client.simulate_post("/webhooks", json=HOOK, headers=auth).json
    patched = client.simulate_patch(f"/webhooks/{hook['id']}", json={"url": url},
                                    headers=auth)
    assert patched.status_code == 422


def test_private_addresses_when_allowed_but_never_link_local(base_settings, clean_database):
    client = testing.TestClient(create_app(base_settings.replace(
        image_fetch_allow_private=True)))
    user = client.simulate_post("/users", json={"name": "Ada", "email": "a@example.com"}).json
    auth = {"Authorization": f"Bearer {user['api_key']}"}
    ok = client.simulate_post("/webhooks", json={**HOOK, "url": "http://127.0.0.1:9/h"},
                              headers=auth)
    assert ok.status_code == 201, ok.text
    metadata = client.simulate_post(
        "/webhooks", json={**HOOK, "url": "http://169.254.169.254/"}, headers=auth)
    assert metadata.status_code == 422


@pytest.mark.parametrize("body, status", [
    (b"{", 400),
    (b'{"url": "ftp://x.example/", "events": ["*"]}', 422),
    (b'{"url": "https://a\\\\@b.example/", "events": ["*"]}', 422),
    (b'{"url": "https://x.example/", "events": []}', 422),
    (b'{"url": "https://x.example/", "events": ["product.exploded"]}', 422),
    (b'{"url": "https://x.example/", "events": "*"}', 422),
    (b'{"url": "https://x.example/"}', 422),
    (b'{"url": "https://x.example/", "events": ["*"], "secret": "mine"}', 422),
    (b'{"url": "https://x.example/", "events": ["*"], "description": "a\\u0000"}', 422),
    (b'[]', 422),
])
def test_bad_bodies_get_a_clear_4xx(client, make_user, body, status):
    ada = make_user()
    result = client.simulate_post("/webhooks", body=body, headers={
        **ada.auth, "Content-Type": "application/json"})
    assert result.status_code == status, result.text
    assert result.json["description"]
    assert client.simulate_post("/webhooks", body=body, headers=ada.auth).status_code == 415
