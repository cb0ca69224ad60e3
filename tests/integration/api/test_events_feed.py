"""GET /users/{id}/events through the app over the real database: the feed of a product's
changes in order, resumed from next_after while events are added, its access rules and its
answers to bad queries."""

from __future__ import annotations

import threading
import time

import pytest

from models import events
from models.db import db, release
from models.products import lock_owned_product, update_product

DEADLINE = 30.0


def feed(client, account, **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return client.simulate_get(f"/users/{account.id}/events", query_string=query,
                               headers=account.auth)


def until_items(client, account, count: int, **params) -> dict:
    """The feed once it shows ``count`` items (visibility may trail a commit briefly)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        result = feed(client, account, **params)
        assert result.status_code == 200, result.text
        if len(result.json["items"]) >= count:
            return result.json
        time.sleep(0.02)
    raise AssertionError(f"the feed never showed {count} items")


def test_a_user_without_events_gets_an_empty_feed_and_no_next_after(client, make_user):
    ada = make_user()
    result = feed(client, ada)
    assert result.status_code == 200
    assert result.json == {"items": [], "next_after": None}


def test_a_products_changes_are_its_events_in_order_with_growing_versions(
        client, make_user, make_product):
    ada = make_user()
    product = make_product(ada)
    assert product["version"] == 1
    patched = client.simulate_patch(f"/products/{product['id']}", headers=ada.auth,
                                    json={"product_price": "12.00"})
    assert patched.json["version"] == 2
    assert client.simulate_get(f"/products/{product['id']}").json["version"] == 2
    assert client.simulate_delete(f"/products/{product['id']}",
                                  headers=ada.auth).status_code == 204

    page = until_items(client, ada, 3)
    items = page["items"]
    assert [e["type"] for e in items] == ["product.created", "product.updated",
                                         "product.deleted"]
    assert [e["data"]["version"] for e in items] == [1, 2, 3]
    assert [e["data"]["product"]["version"] for e in items] == [1, 2, 3]
    assert all(e["data"]["product_id"] == product["id"] and e["data"]["user_id"] == ada.id
               for e in items)
    assert items[0]["data"]["product"] == product
    assert items[1]["data"]["product"]["product_price"] == "12.00"
    assert sorted(e["id"] for e in items) == [e["id"] for e in items]
    assert page["next_after"] == items[-1]["id"]

    # At the end, the feed hands the same `after` back; every id is a valid `after`.
    tail = feed(client, ada, after=page["next_after"])
    assert tail.json == {"items": [], "next_after": page["next_after"]}
    assert [e["id"] for e in feed(client, ada, after=items[0]["id"]).json["items"]] == \
        [e["id"] for e in items[1:]]
    # Filtered by type, and paged by limit.
    updated = feed(client, ada, types="product.updated,product.deleted").json
    assert [e["type"] for e in updated["items"]] == ["product.updated", "product.deleted"]
    first = feed(client, ada, limit=1).json
    assert [e["id"] for e in first["items"]] == [items[0]["id"]]
    assert first["next_after"] == items[0]["id"]


def test_the_feed_resumed_from_next_after_while_events_are_added_has_no_gap_or_repeat(
        client, make_user, make_product):
    ada = make_user()
    product = make_product(ada)
    changes = 40
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for number in range(changes):
                with db.atomic():
                    update_product(lock_owned_product(product["id"], ada.id),
                                   {"product_name": f"Lamp {number}"})
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            release()

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[dict] = []
    after = None
    deadline = time.monotonic() + DEADLINE
    while len(seen) < changes + 1 and time.monotonic() < deadline:
        params = {"limit": 3} if after is None else {"limit": 3, "after": after}
        page = feed(client, ada, **params).json
        seen.extend(page["items"])
        after = page["next_after"] or after
    writer.join(DEADLINE)
    assert not failures
    assert [e["data"]["version"] for e in seen] == list(range(1, changes + 2))
    assert len({e["id"] for e in seen}) == len(seen)
    assert [e["data"]["product"]["product_name"] for e in seen[1:]] == \
        [f"Lamp {number}" for number in range(changes)]


def test_another_users_key_is_refused_and_no_key_is_a_401(client, make_user, make_product):
    ada, bob = make_user(), make_user("Bob")
    make_product(ada)
    other = client.simulate_get(f"/users/{ada.id}/events", headers=bob.auth)
    assert other.status_code == 403 and set(other.json) == {"title", "description"}
    assert client.simulate_get(f"/users/{ada.id}/events").status_code == 401
    assert client.simulate_get(f"/users/{ada.id}/events",
                               headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.simulate_get("/users/0/events", headers=ada.auth).status_code == 404
    # Bob's feed does not hold Ada's events, nor takes her ids.
    ada_event = until_items(client, ada, 1)["items"][0]["id"]
    assert feed(client, bob).json == {"items": [], "next_after": None}
    assert feed(client, bob, after=ada_event).status_code == 400


@pytest.mark.parametrize("params, name", [
    ({"after": "garbage"}, "after"),
    ({"after": "evt_" + "0" * 31 + "1\x00"}, "after"),
    ({"after": "evt_" + "f" * 32}, "after"),
    ({"after": "evt_" + "0" * 32}, "after"),
    ({"types": "product.sold"}, "types"),
    ({"types": ""}, "types"),
    ({"types": "product.created,"}, "types"),
    ({"types": "product.created," * 50}, "types"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"afte": "evt_" + "0" * 31 + "1"}, "afte"),
])
def test_a_bad_query_is_a_400_that_names_the_parameter(client, make_user, make_product,
                                                       params, name):
    ada = make_user()
    make_product(ada)
    result = client.simulate_get(f"/users/{ada.id}/events", params=params, headers=ada.auth)
    assert result.status_code == 400, result.text
    assert f"`{name}`" in result.json["description"]


def test_an_after_never_issued_and_an_expired_one_are_400s_that_say_which(
        client, make_user, make_product, clean_database):
    ada = make_user()
    product = make_product(ada)
    client.simulate_patch(f"/products/{product['id']}", headers=ada.auth,
                          json={"product_name": "Brass lamp"})
    first, second = until_items(client, ada, 2)["items"]
    # An id between the two that no event has: well-formed, never issued.
    xid, row = int(second["id"][4:20], 16), int(second["id"][20:], 16)
    made_up = f"evt_{xid:016x}{row + 1000:016x}"
    never = feed(client, ada, after=made_up)
    assert never.status_code == 400 and "returned" in never.json["description"]

    clean_database.execute_sql(
        "UPDATE events SET created_at = now() - interval '8 days' WHERE id = %s",
        (int(first["id"][20:], 16),))
    assert events.prune(7) == 1
    release()
    expired = feed(client, ada, after=first["id"])
    assert expired.status_code == 400 and "expired" in expired.json["description"]
    assert [e["id"] for e in feed(client, ada, after=second["id"]).json["items"]] == []
    assert [e["id"] for e in feed(client, ada).json["items"]] == [second["id"]]
