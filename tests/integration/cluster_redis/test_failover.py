"""A Redis Cluster master killed (SIGKILL) under the real API: reads answer from PostgreSQL
while its slots have no master, use the cache again once its replica is promoted (same
processes, no restart), and a write right before the kill is not served stale after it."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from falcon import testing

from api.app import create_app
from core.cache import product_key
from tests.integration.cache.test_api_metrics import sample
from tests.integration.cluster_redis.test_cache_on_cluster import sign_up
from tests.support.accounts import sign_up_and_create
from tests.support.processes import wait_for

pytestmark = pytest.mark.cluster


def test_reads_fall_back_to_postgresql_during_a_failover_and_cache_again_after(
    servers, cluster
):
    # given: the API (two processes) on the cluster, and a product cached on some master
    server = servers(workers=2, threads=4, env={"REDIS_URL": cluster.url})
    product, _ = sign_up_and_create(server.url)
    path = f"{server.url}/products/{product['id']}"
    wait_for(lambda: requests.get(path, timeout=5).headers["X-Cache"] == "HIT", timeout=10,
             message="a cache hit")
    master = cluster.master_of(product_key(product["id"]))
    reads: list[tuple[float, int, str, float]] = []
    stop = threading.Event()

    def read() -> None:
        session = requests.Session()
        while not stop.is_set():
            started = time.monotonic()
            response = session.get(path, timeout=5)
            reads.append((started, response.status_code, response.headers["X-Cache"],
                          response.elapsed.total_seconds()))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        # when: its master dies, and its replica is promoted
        killed = time.monotonic()
        promoted = cluster.kill_master(master)
        promoted_at = time.monotonic()
        # then: the same processes hit the cache again, on the promoted replica
        wait_for(lambda: reads and reads[-1][0] > promoted_at and reads[-1][2] == "HIT",
                 timeout=20, interval=0.01, message="cache hits after the promotion")
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=10)
    during = [entry for entry in reads if entry[0] >= killed]
    assert {status for _, status, _, _ in during} == {200}
    assert max(elapsed for *_, elapsed in during) < 1, "no read waits out a failover"
    misses = [started for started, _, cache, _ in during if cache == "MISS"]
    assert misses, "reads during the failover should have come from PostgreSQL"
    first_hit = min(started for started, _, cache, _ in during
                    if cache == "HIT" and started > misses[-1])
    print(f"\nfailover: promotion {promoted_at - killed:.2f} s after the kill; reads from "
          f"PostgreSQL for {misses[-1] - killed:.2f} s ({len(misses)} of {len(during)} reads), "
          f"cache hits again {first_hit - killed:.2f} s after the kill; slowest read "
          f"{max(elapsed for *_, elapsed in during) * 1000:.0f} ms")
    text = requests.get(server.url + "/metrics", timeout=5).text
    assert sample(text, "api_product_cache_reads_total", result="error") > 0
    with cluster.node(promoted) as node:
        assert node.get(product_key(product["id"])) is not None


def test_a_write_right_before_its_master_dies_is_not_served_stale_after(
    cluster_settings, cluster
):
    # given: a product cached on its master
    client = testing.TestClient(create_app(cluster_settings))
    auth = sign_up(client)
    product = client.simulate_post("/products", headers=auth,
                                   json={"product_name": "old", "product_price": 1}).json
    path = f"/products/{product['id']}"
    client.simulate_get(path)
    assert client.simulate_get(path).headers["x-cache"] == "HIT"
    master = cluster.master_of(product_key(product["id"]))
    replicas = cluster.masters()[master]
    # when: a write, and its master killed right after the write returned
    assert client.simulate_patch(path, headers=auth,
                                 json={"product_name": "new"}).status_code == 200
    cluster.kill(master)
    killed = time.monotonic()
    promoted = cluster.wait_for_promotion(replicas)
    # then: from the promotion on, every read is the write's, cached again or not
    stale, first_hit = [], None
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline or first_hit is None:
        response = client.simulate_get(path)
        if response.json["product_name"] != "new":
            stale.append(time.monotonic() - killed)
        if response.headers["x-cache"] == "HIT" and first_hit is None:
            first_hit = time.monotonic() - killed
        assert time.monotonic() < deadline + 20, "no cache hit after the promotion"
    staleness = (stale[-1] - stale[0]) if stale else 0.0
    print(f"\nstale reads after the failover: {len(stale)} ({staleness:.2f} s; bound "
          f"CACHE_TTL_SECONDS={cluster_settings.cache_ttl_seconds}); cache hit again "
          f"{first_hit:.2f} s after the kill")
    assert stale == []
    with cluster.node(promoted) as node:
        assert b'"new"' in node.get(product_key(product["id"]))
