"""The image pipeline, end to end: the API writes products, a real Dramatiq worker process
(relay included) takes the jobs from RabbitMQ, downloads from a local image server, and
stores copies in a real S3 endpoint."""

from __future__ import annotations

import io
import subprocess

import pika
import pytest
import redis
from falcon import testing
from minio import Minio

from api.app import create_app
from tests.conftest import require_service
from tests.integration.api.conftest import Account
from tests.support.image_server import ImageServer
from tests.support.processes import free_port, wait_for
from tests.support.services import S3Server, Worker

VHOST = "product_catalog_test"
BUCKET = "test-images"
QUEUES = ("images", "images.DQ", "images.XQ")


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                          timeout=60)


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


def worker_env(settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "REDIS_URL": settings.redis_url,
        "S3_ENDPOINT": settings.s3_endpoint,
        "AWS_S3_BUCKET": settings.s3_bucket,
        # The real S3 server checks the keys: a developer's .env must not change them.
        "AWS_ACCESS_KEY_ID": settings.s3_access_key,
        "AWS_SECRET_ACCESS_KEY": settings.s3_secret_key,
        "S3_PUBLIC_URL": settings.s3_public_url,
        "IMAGE_FETCH_ALLOW_PRIVATE": "true",
        "IMAGE_MAX_RETRIES": str(settings.image_max_retries),
        "IMAGE_RETRY_MIN_BACKOFF_MS": str(settings.image_retry_min_backoff_ms),
        "IMAGE_RETRY_MAX_BACKOFF_MS": str(settings.image_retry_max_backoff_ms),
        "IMAGE_FETCH_TOTAL_TIMEOUT": str(settings.image_fetch_total_timeout),
        "IMAGE_MAX_BYTES": str(settings.image_max_bytes),
        "API_KEY_SECRET": settings.api_key_secret,
    }


@pytest.fixture(scope="module")
def worker_factory(pipeline_settings, tmp_path_factory):
    started: list[Worker] = []
    directory = tmp_path_factory.mktemp("worker")

    def start(**options) -> Worker:
        # Each worker serves its Prometheus metrics on a port and directory of its own.
        metrics_port = free_port()
        metrics_dir = directory / f"metrics-{len(started)}"
        metrics_dir.mkdir()
        env = {**worker_env(pipeline_settings), "dramatiq_prom_port": str(metrics_port),
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


def create(api, account: Account, urls: list[str]) -> dict:
    result = api.simulate_post("/products", headers=account.auth, json={
        "product_name": "Photo set", "product_price": "10.00", "product_images": urls})
    assert result.status_code == 201, result.text
    return result.json


def wait_until_settled(api, product_id: int, *, timeout: float = 60) -> dict:
    """Poll the product until no image is pending."""
    def settled():
        product = api.simulate_get(f"/products/{product_id}").json
        return product if product["image_status"] != "pending" else None
    return wait_for(settled, timeout=timeout, interval=0.1,
                    message=f"product {product_id} to leave 'pending'")


def object_keys(s3: Minio, product_id: int) -> list[str]:
    return [item.object_name for item in s3.list_objects(BUCKET, prefix=f"products/{product_id}/",
                                                         recursive=True)]


def jpeg_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
