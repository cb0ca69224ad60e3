"""The cache's scripts, its read/write race and the rate limiter on a real Redis Cluster: every
script's keys in one slot, on whichever master holds it."""

from __future__ import annotations

import logging
import os
import signal

import pytest
from falcon import testing

from api.app import create_app
from core.cache import ProductCache, product_key
from core.rate_limit import RateLimiter
from core.redis_clients import LazyCluster, redis_client
from tests.integration.cache import test_product_reads as product_reads
from tests.support.processes import wait_for

pytestmark = pytest.mark.cluster


def sign_up(client: testing.TestClient) -> dict:
    user = client.simulate_post("/users", json={"name": "A", "email": "a@example.com"}).json
    return {"Authorization": f"Bearer {user['api_key']}"}


def products_on_every_master(client, auth, cluster) -> dict[int, int]:
    """Products made until each master holds one's keys: {product id: master port}."""
    placed: dict[int, int] = {}
    while set(placed.values()) != set(cluster.masters()):
        product = client.simulate_post("/products", headers=auth,
                                       json={"product_name": "old", "product_price": 1}).json
        placed[product["id"]] = cluster.master_of(product_key(product["id"]))
        assert len(placed) < 50, "product ids should spread over the masters"
    return placed


def test_products_on_every_master_cache_and_invalidate(cluster_settings, cluster):
    client = testing.TestClient(create_app(cluster_settings))
    assert isinstance(redis_client(cluster.url), LazyCluster)
    auth = sign_up(client)
    placed = products_on_every_master(client, auth, cluster)
    for product_id, master in placed.items():
        path = f"/products/{product_id}"
        first, second = client.simulate_get(path), client.simulate_get(path)
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
        assert first.content == second.content
        with cluster.node(master) as node:  # the body and its generation, on its master
            assert node.get(product_key(product_id)) == first.content
            assert node.get(product_key(product_id) + ":gen") is None  # never written
        assert client.simulate_patch(path, headers=auth,
                                     json={"product_name": "new"}).status_code == 200
        with cluster.node(master) as node:
            assert node.get(product_key(product_id)) is None
            assert node.get(product_key(product_id) + ":gen") == b"1"
        after = client.simulate_get(path)
        assert (after.headers["x-cache"], after.json["product_name"]) == ("MISS", "new")
        assert client.simulate_get(path).headers["x-cache"] == "HIT"
        assert client.simulate_delete(path, headers=auth).status_code == 204
        assert client.simulate_get(path).status_code == 404


@pytest.mark.parametrize("check_generation, served", [(True, "new"), (False, "old")])
def test_a_slow_read_racing_a_write_never_stores_the_old_row_on_a_cluster(
    cluster_settings, clean_database, check_generation, served
):
    # The single server's race test, with the cache's client on the cluster.
    product_reads.test_a_slow_read_racing_a_write_never_stores_the_old_row(
        cluster_settings, clean_database, check_generation, served)


def test_rate_limits_on_every_master(cluster):
    limiter = RateLimiter(redis_client(cluster.url, socket_timeout=1.0), scope="writes",
                          per_minute=2)
    subjects: dict[int, str] = {}
    for number in range(50):
        subject = f"key-{number}"
        subjects.setdefault(cluster.master_of(f"rl:v1:writes:{{{subject}}}"), subject)
    assert len(subjects) == 3
    for subject in subjects.values():
        assert [limiter.take(subject).allowed for _ in range(3)] == [True, True, False]


def test_an_invalidation_no_replica_confirmed_is_logged(cluster, caplog):
    # given: a product cached on a master whose replica is frozen (SIGSTOP)
    cache = ProductCache(redis_client(cluster.url), warn_interval_seconds=0)
    cache.read(1, lambda: b"old")
    master = cluster.master_of(product_key(1))
    [replica] = cluster.masters()[master]
    os.kill(cluster.processes[replica].pid, signal.SIGSTOP)
    try:
        # when
        with caplog.at_level(logging.WARNING, logger="core.cache"):
            cache.invalidate(1)
    finally:
        os.kill(cluster.processes[replica].pid, signal.SIGCONT)
    # then: invalidated on the master, and the missing confirmation said
    with cluster.node(master) as node:
        assert node.get(product_key(1)) is None
    [record] = [r for r in caplog.records if "not confirmed by a replica" in r.getMessage()]
    assert record.product_id == 1
    # and with the replica back (once it has caught up), invalidations are confirmed again

    def confirmed() -> bool:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="core.cache"):
            cache.invalidate(1)
        return not [r for r in caplog.records if "not confirmed" in r.getMessage()]

    wait_for(confirmed, timeout=10, message="a confirmed invalidation")
