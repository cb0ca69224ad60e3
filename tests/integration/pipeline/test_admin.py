"""The operator endpoints (``/admin``) over the real database and RabbitMQ: off without a
token, the archive paged, replay and purge through the same code as the CLI, and the
pipeline's depths and recent failures."""

from __future__ import annotations

import uuid

import pika
import pytest
from falcon import testing

from api.app import create_app
from jobs.broker import build_broker
from models import outbox
from models.dead_letters import DeadLetter, archive, list_all
from models.failures import FailureCode, ImageFailure
from models.jobs import PROCESS_IMAGE, ImageJob
from models.products import get_product, record_image_failure

TOKEN = "operator-token-for-tests-0123456789"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
PATHS = [("GET", "/admin/dead-letters"), ("POST", "/admin/dead-letters/replay"),
         ("POST", "/admin/dead-letters/purge"), ("GET", "/admin/pipeline")]


@pytest.fixture
def admin(pipeline_settings, pipeline_database) -> testing.TestClient:
    return testing.TestClient(create_app(pipeline_settings.replace(operator_token=TOKEN)))


def _failed_product(api, account, url: str, code: FailureCode) -> tuple[int, str]:
    """A product whose image failed for good, with its dead letter archived."""
    created = api.simulate_post("/products", json={
        "product_name": "Lamp", "product_price": "5", "product_images": [url]},
        headers=account.auth)
    assert created.status_code == 201, created.text
    product_id = created.json["id"]
    assert record_image_failure(product_id, url, ImageFailure(code, "failed", False, 1))
    message_id = str(uuid.uuid4())
    archive(DeadLetter(message_id=message_id, queue_name="images", actor_name=PROCESS_IMAGE,
                       kwargs=ImageJob(product_id, url)._asdict(), product_id=product_id,
                       image_url=url, reason="failed", attempts=1, failed_at=None,
                       code=str(code)))
    return product_id, message_id


@pytest.mark.parametrize("method, path", PATHS)
def test_without_an_operator_token_configured_the_endpoints_do_not_exist(
        api, method, path):
    answer = api.simulate_request(method, path, headers=OPERATOR, json={"all": True})

    assert answer.status_code == 404
    assert answer.json["title"] == "Not Found"


@pytest.mark.parametrize("method, path", PATHS)
def test_a_wrong_token_or_a_users_key_is_refused(admin, account, method, path):
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}x"}, account.auth,
                    {"Authorization": f"Bearer {TOKEN[:-1]}"}):
        answer = admin.simulate_request(method, path, headers=headers, json={"all": True})
        assert answer.status_code == 401, headers
    assert list_all() == [] or method == "GET"


def test_the_archive_is_paged_newest_first(admin, api, account):
    letters = [_failed_product(api, account, f"https://img.example/{n}.jpg",
                               FailureCode.HTTP_STATUS)[1] for n in range(3)]

    first = admin.simulate_get("/admin/dead-letters", params={"limit": 2}, headers=OPERATOR)
    second = admin.simulate_get("/admin/dead-letters", headers=OPERATOR, params={
        "limit": 2, "cursor": first.json["next_cursor"]})

    assert first.status_code == 200 and first.json["total"] == 3
    seen = [item["message_id"] for item in first.json["items"] + second.json["items"]]
    assert seen == letters[::-1]
    assert second.json["next_cursor"] is None
    assert first.json["items"][0]["code"] == "HTTP_STATUS"
    forged = admin.simulate_get("/admin/dead-letters", params={"cursor": "bm90LW91cnM"},
                                headers=OPERATOR)
    assert forged.status_code == 400


def test_replay_makes_the_image_pending_and_queues_it_again(admin, api, account):
    url = "https://img.example/replayed.jpg"
    product_id, message_id = _failed_product(api, account, url, FailureCode.CONNECTION_FAILED)
    unknown = str(uuid.uuid4())
    queued = outbox.depth()

    answer = admin.simulate_post("/admin/dead-letters/replay", headers=OPERATOR,
                                 json={"message_ids": [message_id, unknown]})

    assert answer.status_code == 200, answer.text
    assert answer.json == {"replayed": [message_id], "not_found": [unknown]}
    assert list_all() == []
    assert url not in get_product(product_id).image_failures
    assert outbox.depth() == queued + 1
    assert api.simulate_get(f"/products/{product_id}").json["image_status"] == "pending"


def test_purge_all_empties_the_archive_and_queues_nothing(admin, api, account):
    ids = {_failed_product(api, account, f"https://img.example/p{n}.jpg",
                           FailureCode.TOO_LARGE)[1] for n in range(2)}
    queued = outbox.depth()

    answer = admin.simulate_post("/admin/dead-letters/purge", headers=OPERATOR,
                                 json={"all": True})

    assert answer.status_code == 200
    assert set(answer.json["purged"]) == ids and answer.json["not_found"] == []
    assert list_all() == [] and outbox.depth() == queued


@pytest.mark.parametrize("body", [
    {}, {"all": True, "message_ids": [str(uuid.uuid4())]}, {"message_ids": []},
    {"message_ids": ["not-a-uuid"]}, {"all": False}, {"all": "yes"},
    {"message_ids": [str(uuid.uuid4())], "extra": 1},
])
def test_a_selection_that_is_neither_some_nor_all_is_refused_and_changes_nothing(
        admin, api, account, body):
    _failed_product(api, account, "https://img.example/kept.jpg", FailureCode.HTTP_STATUS)

    for path in ("/admin/dead-letters/replay", "/admin/dead-letters/purge"):
        answer = admin.simulate_post(path, headers=OPERATOR, json=body)
        assert answer.status_code == 422, (path, body, answer.text)
    assert len(list_all()) == 1


def test_the_pipeline_counts_the_last_hours_failures_and_the_queues(
        admin, api, account, broker_url, pipeline_settings):
    for n in range(2):
        _failed_product(api, account, f"https://img.example/h{n}.jpg", FailureCode.HTTP_STATUS)
    _failed_product(api, account, "https://img.example/big.jpg", FailureCode.TOO_LARGE)
    # Declared as the workers declare it: a plain declare first would make every later
    # worker refuse the queue's arguments and exit.
    broker = build_broker(pipeline_settings, middleware=[])
    broker.declare_queue("images", ensure=True)
    broker.close()
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    channel.queue_purge("images")
    for n in range(3):
        channel.basic_publish("", "images", f"m{n}".encode())
    try:
        answer = admin.simulate_get("/admin/pipeline", headers=OPERATOR)
    finally:
        channel.queue_purge("images")
        connection.close()

    assert answer.status_code == 200, answer.text
    state = answer.json
    assert state["broker"] == "ok" and state["image_queue_depth"] == 3
    assert state["outbox_depth"] == outbox.depth() and state["dead_letters"] == 3
    assert state["failures_last_hour"] == [{"code": "HTTP_STATUS", "count": 2},
                                           {"code": "TOO_LARGE", "count": 1}]


def test_the_pipeline_says_when_the_broker_is_unavailable(pipeline_settings,
                                                          pipeline_database):
    down = pipeline_settings.replace(operator_token=TOKEN,
                                     broker_url="amqp://guest:guest@127.0.0.1:1/%2F")
    answer = testing.TestClient(create_app(down)).simulate_get("/admin/pipeline",
                                                                headers=OPERATOR)

    assert answer.status_code == 200
    assert answer.json["broker"] == "unavailable"
    assert answer.json["image_queue_depth"] is None
