"""models.webhooks' leases against PostgreSQL: a claimed delivery is not due until its lease
ends; releasing it makes it due at once, but only while the lease released is its own."""

from __future__ import annotations

from models import webhooks
from models.db import db


def _delivery(database) -> int:
    [user_id] = database.execute_sql(
        "INSERT INTO users (name, email, api_key_hash) VALUES (%s, %s, %s) RETURNING id",
        ("ada", "ada@example.com", b"ada")).fetchone()
    with db.atomic():
        hook = webhooks.create(user_id, "https://hooks.example/in", ["product.created"], None,
                               "whsec_" + "A" * 32)
    [delivery_id] = database.execute_sql(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body)"
        " VALUES (%s, 'evt_1', 'product.created', '{}') RETURNING id", (hook.id,)).fetchone()
    return delivery_id


def test_a_released_lease_makes_the_delivery_due_at_once(clean_database):
    delivery_id = _delivery(clean_database)
    with db.atomic():
        [(claimed, lease)] = webhooks.claim_due(60.0)
    assert claimed == delivery_id
    with db.atomic():
        assert webhooks.claim_due(60.0) == []  # leased for a minute
        assert webhooks.release_leases([(delivery_id, lease)]) == 1
        [(again, new_lease)] = webhooks.claim_due(60.0)
    assert again == delivery_id and new_lease != lease


def test_a_stale_lease_releases_nothing(clean_database):
    delivery_id = _delivery(clean_database)
    with db.atomic():
        [(_, first)] = webhooks.claim_due(60.0)
        assert webhooks.release_leases([(delivery_id, first)]) == 1
        [(_, second)] = webhooks.claim_due(60.0)
        # The first lease was handed out again as the second: releasing the first now would
        # let a third attempt start beside the second's.
        assert webhooks.release_leases([(delivery_id, first)]) == 0
        assert webhooks.claim_due(60.0) == []
        assert webhooks.release_leases([]) == 0
