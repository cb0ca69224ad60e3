"""What the stream refuses before it opens: a Last-Event-ID or ``after`` that is not one of
the user's events, and a query parameter it does not take: each a 400 with the JSON error
body every error has (docs/api.md)."""

from __future__ import annotations

import pytest
import requests

from core.events import event_id, parse_event_id
from models.events import Position
from tests.integration.stream.clients import create_product, sign_up
from tests.support.stream_server import messages, open_stream

JSON = {"Accept": "application/json"}


def refused(response: requests.Response, status: int, title: str) -> dict:
    # Not response.text: a stream opened by mistake would never end.
    assert response.status_code == status, (response.status_code, response.headers)
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["title"] == title and body["description"]
    return body


@pytest.fixture
def two_users(api, stream):
    """Two users with an event each, and the id of each one's event."""
    users = []
    for _ in range(2):
        account = sign_up(api.url)
        create_product(api.url, account)
        response = open_stream(stream, account.id, account.auth)
        users.append((account, messages(response, 1)[0]["id"]))
        response.close()
    return users


def both_ways(stream, account, bad: str) -> list[requests.Response]:  # noqa: ANN001
    """The stream opened after ``bad`` as a Last-Event-ID and as ``?after=``."""
    return [open_stream(stream, account.id, {**account.auth, **JSON, "Last-Event-ID": bad}),
            open_stream(stream, account.id, {**account.auth, **JSON}, params={"after": bad})]


def test_a_last_event_id_that_is_not_an_event_id_is_a_400(stream, two_users):
    (account, _), _ = two_users
    for bad in ("42", "evt_", "evt_" + "g" * 32, "evt_" + "0" * 32, "evt_" + "F" * 32,
                "evt_" + "f" * 32):
        for response in both_ways(stream, account, bad):
            # Refused as malformed, before any query (not as an id of no event).
            body = refused(response, 400, "Invalid event id")
            assert "Not an event id" in body["description"], bad


def test_another_users_or_a_never_issued_event_id_is_a_400(stream, two_users):
    (account, own), (_, theirs) = two_users
    position = parse_event_id(own)
    never = [event_id(Position(position.xid, position.id + 1000)),
             event_id(Position(position.xid + 1000, position.id))]
    for bad in [theirs, *never]:
        for response in both_ways(stream, account, bad):
            body = refused(response, 400, "Invalid event id")
            assert "No such event of this user" in body["description"]
    # The user's own id is good: the refusals above are about the id, not the request.
    assert open_stream(stream, account.id, {**account.auth, "Last-Event-ID": own}
                       ).status_code == 200


def test_an_unknown_query_parameter_is_a_400(stream, two_users):
    (account, own), _ = two_users
    for unknown, params in [("afterr", {"afterr": own}),
                            ("types", {"after": own, "types": "product.created"}),
                            ("limit", {"token": "x", "limit": "1"})]:
        response = open_stream(stream, account.id, {**account.auth, **JSON}, params=params)
        body = refused(response, 400, "Invalid query parameter")
        assert f"`{unknown}`" in body["description"]


def test_an_eventsource_gets_the_json_error_body_too(stream, two_users):
    # EventSource sends Accept: text/event-stream, and docs/api.md promises JSON errors
    # whatever the Accept header.
    (account, _), (other, _) = two_users
    refused(open_stream(stream, account.id, account.auth, params={"after": "42"}),
            400, "Invalid event id")
    refused(open_stream(stream, account.id, account.auth, params={"afterr": "1"}),
            400, "Invalid query parameter")
    refused(open_stream(stream, account.id), 401, "Unauthorized")
    refused(open_stream(stream, account.id, other.auth), 403, "Forbidden")
