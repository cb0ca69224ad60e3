"""RABBITMQ_QUEUE_TYPE=quorum against a real RabbitMQ: every queue of the project is declared
as a quorum queue with an explicit delivery limit, images go through them, and a queue that
exists with the other type stops the worker at start with one line naming the setting."""

from __future__ import annotations

import re

import pika
import pytest

from tests.support.photos import PHOTOS
from tests.support.pipeline import QUEUES, create, rabbitmqctl, wait_until_settled
from tests.support.processes import wait_for

VHOST = "product_catalog_quorum"


@pytest.fixture
def quorum_settings(pipeline_settings):
    """A vhost of its own, its queues deleted, and settings that use it with quorum queues."""
    rabbitmqctl("add_vhost", VHOST)
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    url = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in QUEUES:
        channel.queue_delete(queue)
    connection.close()
    return pipeline_settings.replace(broker_url=url, rabbitmq_queue_type="quorum")


def queue_types() -> dict[str, tuple[str, str]]:
    listed = rabbitmqctl("list_queues", "-p", VHOST, "name", "type", "arguments").stdout
    rows = [line.split("\t") for line in listed.splitlines() if line.strip()]
    return {row[0]: (row[1], row[2]) for row in rows if len(row) == 3 and row[0] != "name"}


def test_images_go_through_quorum_queues(quorum_settings, pipeline_database, account, images,
                                         worker_factory):
    from falcon import testing

    from api.app import create_app

    worker_factory(quorum_settings)
    api = testing.TestClient(create_app(quorum_settings))
    url = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())

    product = wait_until_settled(api, create(api, account, [url])["id"])

    assert product["image_status"] == "done", product["image_errors"]
    declared = queue_types()
    # The webhooks queue too: every queue a worker declares.
    assert {name: kind for name, (kind, _) in declared.items()} == dict.fromkeys(
        QUEUES, "quorum")
    assert all("x-delivery-limit" in arguments for _, arguments in declared.values())


def test_a_queue_of_the_other_type_stops_the_worker_with_one_line(quorum_settings,
                                                                   worker_factory):
    # given: `images` exists as a classic queue (as a classic deployment left it)
    connection = pika.BlockingConnection(pika.URLParameters(quorum_settings.broker_url))
    connection.channel().queue_declare("images", durable=True, arguments={
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "images.XQ"})
    connection.close()

    # when
    worker = worker_factory(quorum_settings)

    # then
    wait_for(lambda: worker.process.poll() is not None, timeout=60, interval=0.2,
             message="the worker to stop")
    assert worker.process.returncode != 0
    # The worker process's last word; dramatiq's master and fork processes (their lines in
    # dramatiq's own "[date] [PID n]" format) may log their shutdown after it.
    lines = [line for line in worker.log_path.read_text().strip().splitlines()
             if not re.match(r"\[\d{4}-\d\d-\d\d [\d:,]+\] \[PID \d+\]", line)]
    assert lines[-1].startswith("configuration error: RABBITMQ_QUEUE_TYPE=quorum"), lines[-3:]
    assert queue_types()["images"][0] == "classic"  # nothing was changed
