"""A three-node RabbitMQ cluster started by the tests (tests/support/rabbitmq_cluster.py),
one per session, and the image pipeline's fixtures pointed at it: BROKER_URL lists every
node, and the queues are quorum queues, replicated on all three."""

from __future__ import annotations

import pytest

from tests.integration.pipeline import conftest as pipeline
from tests.support.rabbitmq_cluster import RabbitCluster

# The pipeline's fixtures, for the tests of this directory; its broker is overridden below.
account, images, pipeline_database, s3, s3_server, worker_factory = (
    pipeline.account, pipeline.images, pipeline.pipeline_database, pipeline.s3,
    pipeline.s3_server, pipeline.worker_factory)
direct_settings = pipeline.pipeline_settings

VHOST = "product_catalog_cluster"


@pytest.fixture(scope="session")
def rabbitmq_cluster():
    """Booted once per session (about 30 s), killed and removed at its end, whatever the
    tests did to it."""
    cluster = RabbitCluster()
    try:
        cluster.add_vhost(VHOST)
        yield cluster
    finally:
        cluster.teardown()


@pytest.fixture
def cluster(rabbitmq_cluster):
    """The cluster, every node running again before each test (an earlier one that failed
    may have left a node down)."""
    rabbitmq_cluster.ensure_running()
    return rabbitmq_cluster


@pytest.fixture(scope="session")
def broker_url(rabbitmq_cluster) -> str:
    return rabbitmq_cluster.broker_url(VHOST)


@pytest.fixture(scope="session")
def pipeline_settings(direct_settings):
    # No product cache: an invalidation that times out (Redis on a loaded machine) leaves a
    # product stale for the cache's TTL, and these tests watch the broker, not the cache.
    return direct_settings.replace(rabbitmq_queue_type="quorum", cache_enabled=False)
