"""The cache and the rate limiter on a Redis Cluster of the tests' own (three masters, three
replicas), started once for the session and gone at its end, also when a test fails. Tests
may kill a master: the next test gets the cluster whole again, and empty."""

from __future__ import annotations

import pytest

from tests.integration.cache.conftest import servers as cache_servers
from tests.support.redis_cluster import RedisCluster

servers = cache_servers


@pytest.fixture(scope="session")
def redis_cluster():
    cluster = RedisCluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster(redis_cluster, clean_database) -> RedisCluster:
    """The cluster with every node up and nothing cached."""
    for port in redis_cluster.ports:
        if redis_cluster.processes[port].poll() is not None:
            redis_cluster.restart(port)
    redis_cluster.wait_until_healthy()
    for port in redis_cluster.masters():
        with redis_cluster.node(port) as node:
            node.flushall()
    return redis_cluster


@pytest.fixture
def cluster_settings(base_settings, cluster):
    return base_settings.replace(redis_url=cluster.url)
