"""A slow or hostile source cannot stall the pipeline: at most IMAGE_FETCH_PER_HOST of a
worker's threads download from it, and its other jobs go back on the queue instead of
waiting, so other sources' images go through while its downloads trickle."""

from __future__ import annotations

import time
import uuid

import pika
import pytest
import requests

from tests.support.accounts import Account
from tests.support.image_server import TrickleServer
from tests.support.photos import PHOTOS
from tests.support.pipeline import create

SLOW_PRODUCTS = 20
FAST_SOURCES = ("rocket.jpg", "coffee.png", "chelsea.png", "logo.png",
                "no_time_for_that_tiny.gif")
DEADLINE = 60


@pytest.fixture
def slow_worker(worker_factory, pipeline_settings, broker_url):
    # One process, 4 threads, IMAGE_FETCH_PER_HOST at its default (2). No retries: a slow
    # product leaves pending as soon as its first download is cut off (IMAGE_FETCH_MIN_RATE,
    # after 5 s), and a busy requeue counted as a retry would fail it at once.
    settings = pipeline_settings.replace(image_max_retries=0)
    assert settings.image_fetch_per_host == 2
    worker = worker_factory(settings=settings, threads=4)
    yield worker
    worker.stop()
    # The slow jobs left over are of this test only: the next module's worker must not get
    # them.
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    for queue in ("images", "images.DQ"):
        channel.queue_purge(queue)
    connection.close()


@pytest.fixture
def trickle(slow_worker):
    # Made after the worker, so closed before it: its downloads then end at once and the
    # worker's graceful stop does not wait for them.
    server = TrickleServer(interval=1.0)
    yield server
    assert server.close() == [], "the trickle server's threads did not end"


def sign_up(api) -> Account:  # noqa: ANN001 - a falcon TestClient
    email = f"{uuid.uuid4().hex}@example.com"
    body = api.simulate_post("/users", json={"name": "Bo", "email": email}).json
    return Account(body["id"], body["api_key"], email)


def statuses(api, product_ids: list[int]) -> list[str]:  # noqa: ANN001
    return [api.simulate_get(f"/products/{product_id}").json["image_status"]
            for product_id in product_ids]


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(name + " ") or line.startswith(name + "{"))


def test_a_trickling_source_does_not_hold_back_other_sources(
    api, account, images, trickle, slow_worker, pipeline_settings
):
    # given: a worker that is up and has done one job, so its start is not measured
    fast_user = sign_up(api)
    photos = {name: (PHOTOS / name).read_bytes() for name in FAST_SOURCES}
    warm = create(api, fast_user, [images.add("warm.jpg", photos["rocket.jpg"])])["id"]
    start_deadline = time.monotonic() + DEADLINE
    while statuses(api, [warm]) != ["done"]:
        assert time.monotonic() < start_deadline, f"the warm-up image: {statuses(api, [warm])}"
        time.sleep(0.1)

    # when: 20 products of user A whose images trickle one byte a second from one source,
    # then 5 of user B from another source (another port)
    slow = [create(api, account, [trickle.url(f"a{index}.jpg")])["id"]
            for index in range(SLOW_PRODUCTS)]
    created = time.monotonic()
    fast = [create(api, fast_user, [images.add(name, data)])["id"]
            for name, data in photos.items()]

    # then: every image of B is done while every product of A is still pending
    deadline = created + DEADLINE
    while True:
        # B is read before A: B all done, then A all pending, means B was done first.
        fast_now = statuses(api, fast)
        slow_now = statuses(api, slow)
        left = [status for status in slow_now if status != "pending"]
        assert not left, f"a slow product left pending first: A {slow_now}, B {fast_now}"
        if fast_now == ["done"] * len(fast):
            break
        assert fast_now.count("failed") == 0, fast_now
        assert time.monotonic() < deadline, f"B not done after {DEADLINE} s: {fast_now}"
        time.sleep(0.1)
    seconds = time.monotonic() - created
    print(f"\nB's {len(fast)} images from creation to all done: {seconds:.2f} s "
          f"(goal: under 15 s)")

    # and: the slow source never had more than IMAGE_FETCH_PER_HOST downloads at once,
    # the jobs over it were put back on the queue rather than waiting in a thread
    assert trickle.most_at_once() == pipeline_settings.image_fetch_per_host
    scraped = requests.get(slow_worker.metrics_url, timeout=5).text
    assert metric(scraped, "image_source_busy_total") > 0
