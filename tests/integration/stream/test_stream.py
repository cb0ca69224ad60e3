"""The live stream as a client sees it: events in order as they are written, heartbeats,
access rules, CORS, and no database connection held by an idle stream."""

from __future__ import annotations

import requests

from tests.support.accounts import sign_up_and_create
from tests.support.database import scalar
from tests.support.processes import wait_for
from tests.support.stream_server import messages, open_stream


def test_a_products_events_arrive_in_order_as_they_are_written(api, stream):
    product, auth = sign_up_and_create(api.url)
    user_id = product["user_id"] if "user_id" in product else None
    user_id = user_id or requests.get(api.url + f"/products/{product['id']}", timeout=5
                                      ).json().get("user_id")
    response = open_stream(stream, user_id, auth)
    assert response.status_code == 200
    assert messages(response, 1)[0]["event"] == "product.created"
    requests.patch(f"{api.url}/products/{product['id']}", json={"product_price": "1.00"},
                   headers=auth, timeout=5)
    requests.delete(f"{api.url}/products/{product['id']}", headers=auth, timeout=5)
    got = messages(response, 2)
    assert [each["event"] for each in got] == ["product.updated", "product.deleted"]
    assert got[0]["id"] < got[1]["id"]


def test_a_heartbeat_comment_arrives(api, stream):
    product, auth = sign_up_and_create(api.url)
    user = requests.get(api.url + f"/products/{product['id']}", timeout=5).json()["user_id"]
    response = open_stream(stream, user, auth)
    lines = response.iter_lines(decode_unicode=True)
    assert wait_for(lambda: next(lines).startswith(":"), timeout=5, message="a comment")


def test_another_users_key_gets_403_and_none_401(api, stream):
    product, auth = sign_up_and_create(api.url)
    user = requests.get(api.url + f"/products/{product['id']}", timeout=5).json()["user_id"]
    assert open_stream(stream, user + 1000, auth).status_code == 403
    assert open_stream(stream, user, {}).status_code == 401


def test_cors_answers_only_listed_origins(stream):
    def preflight(origin: str) -> requests.Response:
        return requests.options(f"{stream.url}/users/1/events", timeout=5, headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "last-event-id"})
    allowed = preflight("https://allowed.example")
    assert allowed.headers.get("Access-Control-Allow-Origin") == "https://allowed.example"
    assert "Access-Control-Allow-Origin" not in preflight("https://other.example").headers


def test_idle_streams_hold_no_database_connection(api, stream, database_url):
    product, auth = sign_up_and_create(api.url)
    user = requests.get(api.url + f"/products/{product['id']}", timeout=5).json()["user_id"]
    opened = [open_stream(stream, user, auth) for _ in range(20)]
    for response in opened:
        messages(response, 1)
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
           " AND pid <> pg_backend_pid() AND application_name LIKE 'product-catalog%%'")
    # The listener, the stream's small pool and the API's: fewer than one per stream, and
    # none of them busy while the streams are idle.
    assert scalar(database_url, sql) < len(opened)
    busy = sql + " AND state <> 'idle'"
    assert wait_for(lambda: scalar(database_url, busy) == 0, timeout=5, message="no work")
