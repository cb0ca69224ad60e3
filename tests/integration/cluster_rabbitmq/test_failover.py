"""Failover on a three-node RabbitMQ cluster with quorum queues: the real API (gunicorn), two
worker processes (each with its outbox relay) and BROKER_URL listing every node.

The node leading the ``images`` queue is SIGKILLed mid-run: every good image still becomes
ready, none is lost, none is stored twice, only the images made to fail are in the
dead-letter archive, and the node rejoins when started again. Then the whole cluster is
down while a product is created, and its image is ready once the cluster is back."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from datetime import datetime

import pytest
import requests
from PIL import Image

from models import dead_letters
from models.jobs import IMAGE_QUEUE
from tests.integration.cluster_rabbitmq.conftest import VHOST
from tests.support.environment import settings_env
from tests.support.photos import PHOTOS
from tests.support.pipeline import jpeg_bytes, object_keys, rendition_urls
from tests.support.processes import ApiServer, wait_for

#: The first test also waits for the cluster to boot (about 30 s) and the session's S3 server.
pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

PRODUCTS = 24
#: Products made before the kill; the rest are made while the node is down.
BEFORE_KILL = 16
GOOD_PER_PRODUCT = 3
#: Every third product also has a source that answers 404, which fails for good at once.
FAILING_EVERY = 3
#: A correctness bound on the whole run, not an expectation (it takes about a minute).
SETTLE_TIMEOUT = 240


@pytest.fixture
def api_server(pipeline_settings, pipeline_database, tmp_path):
    server = ApiServer(settings_env(pipeline_settings), log_path=tmp_path / "api.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workers(worker_factory):
    return [worker_factory(), worker_factory()]


def sign_up(base_url: str) -> dict:
    user = requests.post(base_url + "/users", timeout=10, json={
        "name": "Ada", "email": f"ada-{time.time_ns()}@example.com"}).json()
    return {"Authorization": f"Bearer {user['api_key']}"}


def create(base_url: str, auth: dict, urls: list[str]) -> dict:
    created = requests.post(base_url + "/products", headers=auth, timeout=30, json={
        "product_name": "Photo set", "product_price": "10.00", "product_images": urls})
    assert created.status_code == 201, created.text
    return created.json()


def log_events(log: str) -> list[dict]:
    """The JSON lines of a worker's log."""
    events = []
    for line in log.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def distinct_photo(index: int) -> bytes:
    """A JPEG of its own per index (a different crop of one photo), so that every image's
    renditions are objects of their own."""
    with Image.open(PHOTOS / "rocket.jpg") as photo:
        photo = photo.convert("RGB")
        side = min(photo.size) // 2
        left, top = (index * 7) % (photo.width - side), (index * 5) % (photo.height - side)
        return jpeg_bytes(photo.crop((left, top, left + side, top + side)))


class ReadyWatcher(threading.Thread):
    """Polls the products through the API and notes when each image was first seen ready:
    the run's timeline, from outside, as a client sees it."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.product_ids: list[int] = []
        self.ready_at: dict[tuple[int, str], float] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                ids = list(self.product_ids)
            for product_id in ids:
                try:
                    product = requests.get(f"{self.base_url}/products/{product_id}",
                                           timeout=10).json()
                except requests.RequestException:
                    continue
                now = time.monotonic()
                for image in product["images"]:
                    if image["status"] == "ready":
                        with self.lock:
                            self.ready_at.setdefault((product_id, image["source_url"]), now)
            self.stop.wait(0.1)

    def add(self, product_id: int) -> None:
        with self.lock:
            self.product_ids.append(product_id)

    def count(self) -> int:
        with self.lock:
            return len(self.ready_at)


def test_killing_the_images_queue_leader_loses_and_duplicates_nothing(
        cluster, api_server, workers, images, s3, tmp_path):
    base = api_server.url
    auth = sign_up(base)
    watcher = ReadyWatcher(base)
    watcher.start()
    good: list[tuple[int, str]] = []
    failing: set[str] = set()
    started = time.monotonic()

    def create_products(numbers: range, *, hanging: str | None = None) -> None:
        for number in numbers:
            urls = [images.add(f"p{number}-{slot}.jpg", distinct_photo(
                number * GOOD_PER_PRODUCT + slot)) for slot in range(GOOD_PER_PRODUCT)]
            if hanging and number == numbers.start:
                # The first good image's download waits for images.release: its message is
                # surely delivered, unacknowledged, when the node dies.
                urls[0] = urls[0].replace("/img/", "/hang/")
            bad = ([f"{images.base}/img/missing-{number}.jpg"]
                   if number % FAILING_EVERY == 0 else [])
            product = create(base, auth, urls + bad)
            good.extend((product["id"], url) for url in urls)
            failing.update(bad)
            watcher.add(product["id"])

    try:
        # given: the queue's leader (every node lists it once the workers declared it)...
        leader = wait_for(lambda: cluster.queue_leader(VHOST, IMAGE_QUEUE), timeout=60,
                          message="the images queue")
        # ... products made, the first images ready, one download under way, most to do
        create_products(range(BEFORE_KILL), hanging="p0")
        assert images.download_started.wait(timeout=60), "the download never began"
        wait_for(lambda: watcher.count() >= GOOD_PER_PRODUCT,
                 timeout=SETTLE_TIMEOUT, interval=0.05, message="the first images ready")

        # when: the node leading the images queue dies without warning, mid-run
        ready_before_kill, made_before_kill = watcher.count(), len(good)
        cluster.kill(leader)
        killed_at, killed_wall = time.monotonic(), time.time()
        images.release.set()
        # ... and the other products are made while it is down
        create_products(range(BEFORE_KILL, PRODUCTS))
        new_leader = cluster.queue_leader(VHOST, IMAGE_QUEUE)

        # then: every product settles, with every good image ready
        def settled() -> list[dict]:
            products = [requests.get(f"{base}/products/{product_id}", timeout=10).json()
                        for product_id in watcher.product_ids]
            return products if all(p["image_status"] != "pending" for p in products) else []
        products = wait_for(settled, timeout=SETTLE_TIMEOUT, interval=0.5,
                            message="every product to settle")
        wait_for(lambda: watcher.count() >= sum(
            image["status"] == "ready" for p in products for image in p["images"]),
            timeout=30, message="the watcher to see every ready image")
        finished = time.monotonic()
    finally:
        watcher.stop.set()
        watcher.join(timeout=30)

    ready = {(p["id"], image["source_url"]) for p in products for image in p["images"]
             if image["status"] == "ready"}
    stored = {p["id"]: set(object_keys(s3, p["id"])) for p in products}
    referenced = {p["id"]: {url.rsplit("/", 1)[1] for url in rendition_urls(p)}
                  for p in products}
    duplicated = sum(len({key.rsplit("/", 1)[1] for key in stored[pid]} - referenced[pid])
                     for pid in stored)
    renditions_shared = sum(
        len(keys) - len(set(keys)) for keys in (
            [r["url"] for image in p["images"] for r in image["renditions"]]
            for p in products))
    events = [event for worker in workers for event in log_events(worker.log())]
    downloads = Counter(event["message_id"] for event in events
                        if event.get("event") == "download")
    done_after = sorted(when for when in (
        datetime.fromisoformat(event["timestamp"]).timestamp() for event in events
        if event.get("event") == "done") if when >= killed_wall)
    gaps = [later - earlier for earlier, later in zip(
        [killed_wall, *done_after], done_after, strict=False)]
    times = sorted(watcher.ready_at.values())
    before = [t for t in times if t < killed_at]
    after = [t for t in times if t >= killed_at]
    figures = {
        "images_created": len(good) + len(failing),
        "good_images": len(good),
        "failing_images": len(failing),
        "images_ready": len(ready),
        "ready_before_kill": ready_before_kill,
        "pending_at_kill": made_before_kill - ready_before_kill,
        "lost": len(set(good) - ready),
        "duplicated_objects": duplicated,
        # Messages downloaded more than once: redelivered after the kill, or retried.
        "downloaded_twice": sum(count > 1 for count in downloads.values()),
        "killed_node": leader.name,
        "new_leader": new_leader.name,
        # The gap in the stream of ready images around the kill: the last image seen ready
        # before the kill to the first seen ready after it (the watcher polls every ~0.1 s
        # plus one round of GETs).
        "stall_seconds": round(after[0] - before[-1], 2) if before and after else None,
        "kill_to_first_ready_seconds": round(after[0] - killed_at, 2) if after else None,
        # The longest pause in the workers' stream of finished images ("done" in their logs)
        # from the kill on, the kill itself counting as the start of the first pause.
        "max_pause_after_kill_seconds": round(max(gaps), 2) if gaps else None,
        "run_seconds": round(finished - started, 1),
    }
    (tmp_path / "failover-figures.json").write_text(json.dumps(figures, indent=2))
    print("\nnode-kill figures:", json.dumps(figures), f"({tmp_path / 'failover-figures.json'})")
    if os.environ.get("FAILOVER_FIGURES"):
        with open(os.environ["FAILOVER_FIGURES"], "a") as out:
            out.write(json.dumps(figures) + "\n")

    assert new_leader.name != leader.name
    assert figures["lost"] == 0, sorted(set(good) - ready)
    assert ready == set(good)
    assert duplicated == 0, {pid: sorted(stored[pid]) for pid in stored}
    assert renditions_shared == 0
    assert all(stored[pid] and len(stored[pid]) == len(referenced[pid]) for pid in stored)
    assert {letter.image_url for letter in dead_letters.list_all()} == failing
    for product in products:
        expected = "failed" if any(url in failing for url in product["product_images"]) \
            else "done"
        assert product["image_status"] == expected, product["image_errors"]
    for worker in workers:
        assert worker.process.poll() is None, worker.log()[-3000:]

    # when: the killed node is started again, then: it rejoins the cluster by itself
    cluster.start(leader)
    assert cluster.running_nodes(leader) == {node.name for node in cluster.nodes}


def test_a_product_made_while_the_whole_cluster_is_down_is_processed_when_it_returns(
        cluster, api_server, workers, images):
    base = api_server.url
    auth = sign_up(base)
    url = images.add("coffee.png", (PHOTOS / "coffee.png").read_bytes())
    cluster.stop_all()
    try:
        # when: the API takes the product while no node runs: the outbox holds its job
        product = create(base, auth, [url])
        assert product["image_status"] == "pending"
    finally:
        cluster.start_all()

    # then: ready, with no operator action
    def done() -> dict | None:
        current = requests.get(f"{base}/products/{product['id']}", timeout=10).json()
        return current if current["image_status"] != "pending" else None
    settled = wait_for(done, timeout=SETTLE_TIMEOUT, interval=0.5, message="the product")
    assert settled["image_status"] == "done", settled["image_errors"]
    assert [image["status"] for image in settled["images"]] == ["ready"]
    for worker in workers:
        assert worker.process.poll() is None, worker.log()[-3000:]
