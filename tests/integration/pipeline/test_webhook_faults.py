"""Webhook deliveries under faults, with real worker processes split by queue as the Procfile
runs them: a receiver that hangs never holds up images, a worker killed during an attempt
leaves its lease to run out and the delivery is made again, and events written while the
broker is unreachable are all delivered once it returns."""

from __future__ import annotations

import pytest

from tests.integration.pipeline.test_webhooks import log, make_product, register
from tests.support.photos import PHOTOS
from tests.support.pipeline import VHOST, create, wait_until_settled
from tests.support.processes import stopped_after, wait_for
from tests.support.tcp_proxy import TcpProxy
from tests.support.webhook_receiver import HANG, OK, WebhookReceiver

IMAGES, WEBHOOKS = ("images",), ("webhooks",)
#: Longer than a delivery's 10 s attempt: the deliverer gives up first.
HOLD_SECONDS = 30.0


def succeeded(api, account, hook: dict, count: int, *, timeout: float) -> list[dict]:  # noqa: ANN001
    """The endpoint's deliveries once there are ``count``, all succeeded."""
    def check() -> list[dict] | None:
        items = log(api, account, hook)
        return items if len(items) == count and all(
            item["status"] == "succeeded" for item in items) else None

    try:
        return wait_for(check, timeout=timeout, interval=0.1,
                        message=f"{count} succeeded deliveries")
    except AssertionError as error:
        raise AssertionError(f"{error}: {log(api, account, hook)}") from None


@pytest.fixture
def workers(worker_factory):
    """worker_factory's workers, stopped at the end of the test, so that the next test's
    faults meet only its own."""
    with stopped_after(worker_factory, lambda worker: worker.stop()) as start:
        yield start


@pytest.fixture
def receiver():
    server = WebhookReceiver(hang_seconds=HOLD_SECONDS)
    yield server
    server.close()


def test_a_hanging_receiver_never_holds_up_images(api, account, images, receiver, workers,
                                                  pipeline_settings):
    # given: an images worker and a webhooks worker, two threads each, and a receiver that
    # holds every request longer than an attempt may last
    settings = pipeline_settings.replace(image_formats=("jpeg",))
    workers(settings, queues=IMAGES)
    workers(settings, queues=WEBHOOKS)
    receiver.default = HANG
    hook = register(api, account, receiver.url)
    for number in range(4):  # more than the threads: some wait in the queue
        make_product(api, account, f"Plain {number}")
    receiver.wait_for(2)  # every thread of whichever worker takes deliveries is held
    # when: products with images are written
    names = ("chelsea.png", "coffee.png", "logo.png", "rocket.jpg")
    urls = [images.add(name, (PHOTOS / name).read_bytes()) for name in names]
    products = [create(api, account, urls[i:i + 2]) for i in (0, 2)]
    # then: every image is ready while no delivery has ended: they are all still held by
    # the receiver or queued behind those (an attempt ends after 10 s at most, so a worker
    # whose threads the deliveries took would make the images wait past that)
    for product in products:
        settled_product = wait_until_settled(api, product["id"])
        assert settled_product["image_status"] == "done", settled_product
        assert all(image["status"] == "ready" for image in settled_product["images"])
    deliveries = log(api, account, hook)
    assert len(deliveries) >= 4
    ended = [(item["id"], item["attempts"], item["status"]) for item in deliveries
             if item["attempts"] or item["status"] != "pending"]
    assert not ended, f"deliveries ended before the images were ready: {ended}"
    assert len(receiver.received) >= 2


def test_a_worker_killed_during_an_attempt_leaves_it_to_be_made_again(
        api, account, receiver, workers, pipeline_settings):
    # given: a webhooks worker whose attempt the receiver holds
    settings = pipeline_settings.replace(webhook_lease_seconds=3.0)
    first = workers(settings, queues=WEBHOOKS)
    receiver.plan.append(HANG)
    hook = register(api, account, receiver.url)
    make_product(api, account)
    (held,) = receiver.wait_for(1)
    # when: it is killed without warning, and another starts
    first.kill()
    workers(settings, queues=WEBHOOKS)
    # then: once the lease has run out the delivery is made again, with the same id, and
    # recorded once (the killed attempt recorded nothing); the deadline is well below the
    # default 60 s lease, so the setting must have reached both the dispatcher and the actor
    (delivery,) = succeeded(api, account, hook, 1, timeout=30)
    requests = receiver.received
    assert len(requests) >= 2
    assert {request.headers["webhook-id"] for request in requests} == {delivery["event_id"]}
    assert held.headers["webhook-id"] == delivery["event_id"]
    assert delivery["attempts"] == 1 and delivery["last_status"] == 200


def test_events_written_while_the_broker_is_unreachable_are_all_delivered(
        api, account, receiver, workers, pipeline_settings):
    # given: a webhooks worker whose broker connections all go through a proxy, delivering
    proxy = TcpProxy(("127.0.0.1", 5672))
    try:
        # The default lease (60 s): a publish that failed must not wait it out.
        settings = pipeline_settings.replace(
            broker_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/{VHOST}",
            webhook_lease_seconds=60.0)
        worker = workers(settings, queues=WEBHOOKS)
        receiver.default = OK
        hook = register(api, account, receiver.url)
        make_product(api, account, "Before")
        succeeded(api, account, hook, 1, timeout=60)
        # when: the broker is cut off, events are written, and the dispatcher has failed to
        # hand them out
        proxy.cut()
        for number in range(5):
            make_product(api, account, f"During {number}")
        wait_for(lambda: len(log(api, account, hook)) == 6, timeout=30,
                 message="the fan-out of the events written during the outage")
        wait_for(lambda: '"webhook_dispatch"' in worker.log(), timeout=30,
                 message="the dispatcher's failure to publish")
        assert len(receiver.received) == 1
        proxy.restore()
        # then: every event arrives, with no operator action, and is recorded once; the
        # deadline is below the 60 s lease, so the leases of the publishes that failed must
        # have been released, not waited out
        deliveries = succeeded(api, account, hook, 6, timeout=40)
    finally:
        proxy.close()
    assert len(deliveries) == 6
    assert all(item["attempts"] == 1 and item["last_status"] == 200 for item in deliveries)
    received = [request.headers["webhook-id"] for request in receiver.received]
    assert set(received) == {item["event_id"] for item in deliveries}


def test_an_attempt_outliving_a_short_lease_is_never_handed_out_again(
        api, account, receiver, workers, pipeline_settings):
    # given: a lease shorter than an attempt may last, and a receiver that never answers
    settings = pipeline_settings.replace(webhook_lease_seconds=2.0,
                                         webhook_retry_schedule=(600,))
    workers(settings, queues=WEBHOOKS)
    receiver.default = HANG
    hook = register(api, account, receiver.url)
    make_product(api, account)
    # when: the attempt runs to its 10 s timeout and is recorded
    (delivery,) = wait_for(
        lambda: [item for item in log(api, account, hook) if item["attempts"] == 1] or None,
        timeout=40, interval=0.1, message="the attempt's record")
    # then: the receiver saw that one attempt only, not one per lapsed lease
    assert len(receiver.received) == 1, [r.headers["webhook-id"] for r in receiver.received]
    assert delivery["status"] == "pending" and delivery["last_error"]
