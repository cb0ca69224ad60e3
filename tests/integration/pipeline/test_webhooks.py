"""Webhook deliveries end to end: the API registers endpoints and writes products, a real
worker process fans the events out to delivery rows, hands due ones to its deliver_webhook
actor over RabbitMQ, and POSTs them to a local receiver; the signature is checked with
standardwebhooks' own verifier. The retry schedule is shortened by settings."""

from __future__ import annotations

import base64

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jobs.webhooks import Deliverer
from tests.support.processes import wait_for
from tests.support.webhook_receiver import CLOSE, FAIL, OK, WebhookReceiver

DEADLINE = 60.0
SCHEDULE = (1, 1)  # three attempts in all


@pytest.fixture(scope="module")
def hooks_worker(worker_factory, pipeline_settings):
    return worker_factory(pipeline_settings.replace(webhook_retry_schedule=SCHEDULE,
                                                    webhook_disable_after=2))


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    yield server
    server.close()


def register(api, account, url: str, events=("product.created",)) -> dict:
    result = api.simulate_post("/webhooks", json={"url": url, "events": list(events)},
                               headers=account.auth)
    assert result.status_code == 201, result.text
    return result.json


def make_product(api, account, name: str = "Lamp") -> dict:
    result = api.simulate_post("/products", headers=account.auth,
                               json={"product_name": name, "product_price": "9.99"})
    assert result.status_code == 201, result.text
    return result.json


def log(api, account, hook: dict) -> list[dict]:
    result = api.simulate_get(f"/webhooks/{hook['id']}/deliveries", headers=account.auth)
    assert result.status_code == 200, result.text
    return result.json["items"]


def until(check, what: str, timeout: float = DEADLINE):
    return wait_for(check, timeout=timeout, interval=0.1, message=what)


def settled(api, account, hook, status: str, count: int = 1) -> list[dict]:
    def check() -> list[dict] | None:
        items = log(api, account, hook)
        done = len(items) >= count and all(item["status"] == status for item in items)
        return items if done else None

    try:
        return until(check, f"{count} {status} deliveries")
    except AssertionError as error:
        raise AssertionError(f"{error}: {log(api, account, hook)}") from None


def test_a_delivery_is_signed_as_standard_webhooks_verifies(api, account, receiver,
                                                            hooks_worker):
    hook = register(api, account, receiver.url)
    product = make_product(api, account)
    (request,) = receiver.wait_for(1)
    event = Webhook(hook["secret"]).verify(request.body, request.headers)
    assert event["type"] == "product.created"
    assert event["data"]["product_id"] == product["id"]
    assert request.headers["webhook-id"] == event["id"]
    assert request.headers["Content-Type"] == "application/json"
    (delivery,) = settled(api, account, hook, "succeeded")
    assert delivery["attempts"] == 1 and delivery["last_status"] == 200
    assert delivery["last_response"] == "thanks" and delivery["event_id"] == event["id"]
    # After a rotation both secrets sign, for a day.
    rotated = api.simulate_post(f"/webhooks/{hook['id']}/secret", headers=account.auth).json
    make_product(api, account, "Desk")
    second = receiver.wait_for(2)[1]
    assert len(second.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], rotated["secret"]):
        assert Webhook(secret).verify(second.body, second.headers)["type"] == "product.created"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"x" * 32).decode()).verify(second.body,
                                                                        second.headers)


def test_a_receiver_failing_twice_then_answering(api, account, receiver, hooks_worker):
    receiver.plan.extend([FAIL, CLOSE])
    hook = register(api, account, receiver.url)
    make_product(api, account)
    (delivery,) = settled(api, account, hook, "succeeded")
    assert delivery["attempts"] == 3 and delivery["last_status"] == 200
    requests = receiver.wait_for(3)
    assert len(requests) == 3
    assert len({request.headers["webhook-id"] for request in requests}) == 1


def test_a_receiver_down_for_longer_than_the_schedule(api, account, receiver, hooks_worker):
    receiver.default = FAIL
    hook = register(api, account, receiver.url)
    make_product(api, account)
    (delivery,) = settled(api, account, hook, "failed")
    assert delivery["attempts"] == len(SCHEDULE) + 1
    assert delivery["last_status"] == 500 and delivery["next_attempt_at"] is None
    assert len(delivery["last_response"]) == 1024  # truncated, as stored
    assert receiver.wait_for(3) and len(receiver.received) == 3
    receiver.default = OK
    retried = api.simulate_post(f"/webhooks/{hook['id']}/deliveries/{delivery['id']}/retry",
                                headers=account.auth)
    assert retried.status_code == 202
    (delivery,) = settled(api, account, hook, "succeeded")
    assert delivery["attempts"] == 4 and delivery["last_status"] == 200
    assert api.simulate_get(f"/webhooks/{hook['id']}", headers=account.auth
                            ).json["consecutive_failures"] == 0


def test_disabled_after_consecutive_failed_deliveries(api, account, receiver, hooks_worker):
    receiver.default = CLOSE
    hook = register(api, account, receiver.url)
    make_product(api, account, "One")
    make_product(api, account, "Two")
    items = settled(api, account, hook, "failed", count=2)
    assert all(item["last_status"] is None and item["last_error"] for item in items)
    state = api.simulate_get(f"/webhooks/{hook['id']}", headers=account.auth).json
    assert state["enabled"] is False
    assert state["disabled_reason"] == "disabled after 2 consecutive failed deliveries"
    # A disabled endpoint gets no new deliveries: once another endpoint has its delivery of
    # the next event, the fan-out has passed it.
    witness = register(api, account, receiver.url)
    make_product(api, account, "Three")
    until(lambda: log(api, account, witness), "the witness's delivery")
    assert len(log(api, account, hook)) == 2


def test_a_name_resolving_to_a_blocked_address_is_refused_at_delivery(
        api, account, receiver, pipeline_database):
    """The name was allowed at creation (private addresses allowed there); the deliverer,
    with private addresses not allowed, resolves it to loopback and sends nothing."""
    port = receiver.url.rsplit(":", 1)[1].split("/")[0]
    hook = register(api, account, f"http://localhost:{port}/hook")
    pipeline_database.execute_sql(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, body)"
        " VALUES (%s, %s, 'product.created', '{}')", (hook["id"], f"evt_{1:032x}"))
    # Taken by this process, not by the module's worker (whose rules allow loopback).
    pipeline_database.execute_sql("UPDATE webhooks SET enabled = false WHERE id = %s",
                                  (hook["id"],))
    lease = pipeline_database.execute_sql(
        "UPDATE webhook_deliveries SET next_attempt_at = now() + interval '60 s'"
        " WHERE webhook_id = %s RETURNING id, next_attempt_at::text", (hook["id"],)).fetchone()
    deliverer = Deliverer(allow_private=False, schedule=SCHEDULE, disable_after=5)
    assert deliverer.deliver(*lease) == "pending"
    (delivery,) = log(api, account, hook)
    assert delivery["attempts"] == 1 and delivery["last_status"] is None
    assert "localhost resolves to an address that is not allowed" in delivery["last_error"]
    assert receiver.received == []
