"""The image pipeline, end to end: the API writes products, a real Dramatiq worker process
(relay included) takes the jobs from RabbitMQ, downloads from a local image server, and
stores copies in a real S3 endpoint."""

from __future__ import annotations

import pika
import pytest
import redis
from falcon import testing
from minio import Minio

from api.app import create_app
from core.settings import Settings
from tests.support.accounts import Account
from tests.support.environment import settings_env
from tests.support.image_server import ImageServer
from tests.support.pipeline import BUCKET, QUEUES, VHOST, rabbitmqctl
from tests.support.processes import free_port
from tests.support.required import require_service
from tests.support.services import S3Server, Worker


@pytest.fixture(scope="session")
def broker_url() -> str:
    """A vhost of our own, emptied, so a developer's running system never takes our jobs."""
    require_service("RabbitMQ")
    rabbitmqctl("add_vhost", VHOST)
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    connection = pika.BlockingConnection(pika.URLParameters(
        f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"))
    channel = connection.channel()
    for queue in QUEUES:
        channel.queue_delete(queue)
    connection.close()
    return f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pipeline_settings(base_settings, broker_url, s3_server):
    require_service("Redis")
    redis_url = "redis://127.0.0.1:6379/14"
    # Product ids start again in every session's new database: old entries must go.
    redis.Redis.from_url(redis_url).flushdb()
    return base_settings.replace(
        broker_url=broker_url,
        redis_url=redis_url,
        s3_endpoint=s3_server.endpoint,
        s3_bucket=BUCKET,
        s3_public_url=f"http://{s3_server.endpoint}/{BUCKET}",
        image_fetch_allow_private=True,
        image_max_retries=3,
        image_retry_min_backoff_ms=100,
        image_retry_max_backoff_ms=400,
        image_fetch_total_timeout=5.0,
        image_max_bytes=5 * 1024 * 1024,
    )


@pytest.fixture(scope="module")
def worker_factory(pipeline_settings, tmp_path_factory):
    started: list[Worker] = []
    directory = tmp_path_factory.mktemp("worker")

    def start(settings: Settings | None = None, **options) -> Worker:
        # Each worker serves its Prometheus metrics on a port and directory of its own.
        metrics_port = free_port()
        metrics_dir = directory / f"metrics-{len(started)}"
        metrics_dir.mkdir()
        env = {**settings_env(settings or pipeline_settings),
               "dramatiq_prom_port": str(metrics_port),
               "dramatiq_prom_host": "127.0.0.1", "dramatiq_prom_db": str(metrics_dir)}
        worker = Worker(env, log_path=directory / f"worker-{len(started)}.log", **options)
        worker.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def worker(worker_factory):
    return worker_factory()


@pytest.fixture
def pipeline_database(bound_database):
    """Empty tables; ids keep counting up, so a late job of an earlier test never matches."""
    bound_database.execute_sql("TRUNCATE users, products, outbox, dead_letters CASCADE")
    yield bound_database


@pytest.fixture
def api(pipeline_settings, pipeline_database) -> testing.TestClient:
    return testing.TestClient(create_app(pipeline_settings))


@pytest.fixture
def account(api) -> Account:
    import uuid

    email = f"{uuid.uuid4().hex}@example.com"
    body = api.simulate_post("/users", json={"name": "Ada", "email": email}).json
    return Account(body["id"], body["api_key"], email)


@pytest.fixture
def images():
    server = ImageServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def s3(s3_server) -> Minio:
    return Minio(s3_server.endpoint, access_key=s3_server.access_key,
                 secret_key=s3_server.secret_key, secure=False)
