"""A wake-up the stream misses costs latency, never an event (stream/hub.py): the tick reads
the table every EVENTS_POLL_SECONDS, and the listener comes back when its connection dies."""

from __future__ import annotations

import json

import psycopg2

from stream.hub import LISTENER_NAME
from tests.integration.stream.clients import create_product, rename, sign_up
from tests.support.database import scalar
from tests.support.processes import wait_for
from tests.support.stream_server import messages, open_stream

#: The listener's backend, on the test database only (a development stream may listen too).
LISTENER = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            f" AND application_name = '{LISTENER_NAME}'")
#: What models.events.record writes, less its pg_notify: a product renamed and its event,
#: in one transaction, that no NOTIFY announces.
QUIET_RENAME = (
    "WITH p AS (UPDATE products SET product_name = %(name)s, version = version + 1"
    "   WHERE id = %(id)s RETURNING *)"
    " INSERT INTO events (type, user_id, product_id, version, product)"
    " SELECT 'product.updated', p.user_id, p.id, p.version,"
    "   to_jsonb(p) || jsonb_build_object('product_price', p.product_price::text) FROM p")


def names(got: list[dict]) -> list[str]:
    return [json.loads(each["data"])["data"]["product"]["product_name"] for each in got]


def quiet_rename(database_url: str, product_id: int, name: str) -> None:
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(QUIET_RENAME, {"name": name, "id": product_id})
            assert cursor.rowcount == 1
    finally:
        connection.close()


def kill_listener(database_url: str) -> int:
    """Terminate the stream's LISTEN backend; its pid."""
    pid = wait_for(lambda: scalar(database_url, LISTENER), timeout=10, message="the listener")
    assert scalar(database_url, "SELECT pg_terminate_backend(%s)", (pid,))
    return pid


def test_an_event_no_notification_announces_arrives_by_the_tick(api, stream, database_url):
    account = sign_up(api.url)
    product = create_product(api.url, account, "v0")
    response = open_stream(stream, account.id, account.auth)
    assert names(messages(response, 1)) == ["v0"]
    quiet_rename(database_url, product["id"], "quiet")
    # EVENTS_POLL_SECONDS is 0.5: the deadline is many ticks.
    assert names(messages(response, 1, timeout=20)) == ["quiet"]
    # Delivered once: the next message is the next event.
    rename(api.url, account, product["id"], "loud")
    assert names(messages(response, 1)) == ["loud"]


def test_events_written_as_the_listener_dies_all_arrive_once(api, stream, database_url):
    accounts = [sign_up(api.url) for _ in range(2)]
    products = [create_product(api.url, each, "v0") for each in accounts]
    streams = [open_stream(stream, each.id, each.auth) for each in accounts for _ in range(2)]
    for response in streams:
        assert names(messages(response, 1)) == ["v0"]
    old = kill_listener(database_url)
    # Written while the listener is down or coming back: their NOTIFYs may reach nobody.
    for number in (1, 2, 3):
        for account, product in zip(accounts, products, strict=True):
            rename(api.url, account, product["id"], f"v{number}")
    for response in streams:
        assert names(messages(response, 3, timeout=20)) == ["v1", "v2", "v3"]
    assert wait_for(lambda: scalar(database_url, LISTENER) not in (None, old), timeout=20,
                    message="a new listener")
    for account, product in zip(accounts, products, strict=True):
        rename(api.url, account, product["id"], "v4")
    for response in streams:
        assert names(messages(response, 1)) == ["v4"]


def test_the_listener_comes_back_and_listens_again(api, start_stream, database_url):
    # No tick within the test: what arrives came by a NOTIFY to the new listener.
    stream = start_stream(EVENTS_POLL_SECONDS="3600")
    account = sign_up(api.url)
    product = create_product(api.url, account, "v0")
    response = open_stream(stream, account.id, account.auth)
    assert names(messages(response, 1)) == ["v0"]
    old = kill_listener(database_url)
    # Back once its backend has run LISTEN (pg_stat_activity keeps the last statement).
    listening = LISTENER + " AND pid <> %s AND state = 'idle' AND query ILIKE 'LISTEN %%'"
    wait_for(lambda: scalar(database_url, listening, (old,)), timeout=30,
             message="a new listener that has run LISTEN")
    rename(api.url, account, product["id"], "v1")
    try:
        assert names(messages(response, 1)) == ["v1"]
    except AssertionError as error:
        raise AssertionError(f"{error}\nthe stream's output ends:\n{stream.log()}") from None
