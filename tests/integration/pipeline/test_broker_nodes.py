"""BROKER_URL listing several nodes: a worker (its relay and its consumer) and the API's
readiness check carry on through a node that is down."""

from __future__ import annotations

from falcon import testing

from api.app import create_app
from tests.support.photos import PHOTOS
from tests.support.pipeline import create, wait_until_settled
from tests.support.processes import free_port


def test_a_dead_first_node_is_passed_over(pipeline_settings, pipeline_database, account, images,
                                          worker_factory):
    # given: the first node listed is down (nothing listens there), the second is RabbitMQ
    scheme, rest = pipeline_settings.broker_url.split("://", 1)
    vhost = rest.split("/", 1)[1]
    dead = f"{scheme}://guest:guest@127.0.0.1:{free_port()}/{vhost}"
    settings = pipeline_settings.replace(broker_url=f"{dead},{pipeline_settings.broker_url}")
    worker_factory(settings)
    api = testing.TestClient(create_app(settings))

    # when: a product is created, its jobs relayed and consumed through the live node
    url = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    product = wait_until_settled(api, create(api, account, [url])["id"])

    # then
    assert product["image_status"] == "done", product["image_errors"]
    ready = api.simulate_get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["broker"] == "ok"
