"""`make run` keeps the images it stored: a product's images reach ``done``, `make run` is stopped
as a developer stops it (Ctrl-C) and started again, and every stored URL still answers 200 with
the same bytes, served by the restarted local S3 server from its data directory.

The real target runs (services, migrate, honcho with the Procfile: gunicorn, a Dramatiq worker,
scripts/s3server.py), with an environment that points it at the test database, a RabbitMQ vhost
and a Redis database of the tests, a temporary S3 data directory and free ports, so a developer's
own `make run` may keep going beside it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pika
import pytest
import requests

from core.settings import Settings
from scripts.s3server import INTERNAL_PORTS
from tests.support.environment import settings_env
from tests.support.image_server import ImageServer
from tests.support.photos import PHOTOS
from tests.support.pipeline import rabbitmqctl
from tests.support.processes import REPO, free_port, wait_for, wait_until_up
from tests.support.redis_server import TEST_REDIS_URL
from tests.support.required import require_service
from tests.support.services import free_port_run, remove_sockets, s3_ready

pytestmark = pytest.mark.slow

VHOST = "product_catalog_make_run"
BUCKET = "make-run-images"
#: honcho stops what is left 5 s after Ctrl-C; make, migrations and start-up come on top.
STOP_TIMEOUT = 30
START_TIMEOUT = 120


@dataclass(frozen=True)
class RunConfig:
    env: dict[str, str]
    api_port: int
    events_port: int
    s3_endpoint: str
    first_port: int

    @property
    def s3_port(self) -> int:
        return int(self.s3_endpoint.rsplit(":", 1)[1])

    @property
    def master_port(self) -> int:
        return self.first_port + INTERNAL_PORTS.index("master")

    @property
    def ports(self) -> tuple[int, ...]:
        return self.api_port, self.events_port, self.s3_port, self.master_port


class MakeRun:
    """`make run` in a session of its own, as a terminal runs it, with its output in a file."""

    def __init__(self, config: RunConfig, log_path: Path) -> None:
        self.config, self.log_path = config, log_path
        self.api_url = f"http://127.0.0.1:{config.api_port}"
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        # -o: the installed venv counts as current, so a test never reinstalls the packages
        # of the session it runs in; everything after the install is the real target.
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "run"],
            cwd=REPO, env=config.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(self.process, self._ready, name="make run", timeout=START_TIMEOUT,
                      stop=self.stop, log=self.log)

    def _ready(self) -> bool:
        for url in (self.api_url, f"http://127.0.0.1:{self.config.events_port}"):
            if requests.get(url + "/healthz", timeout=1).status_code != 200:
                return False
        return s3_ready(self.config.s3_endpoint, self.config.master_port)

    def stop(self) -> None:
        """Ctrl-C: SIGINT to the foreground process group (make and honcho), then honcho's own
        SIGTERM and, 5 s later, SIGKILL to each process it started."""
        if self._log.closed:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
        self._log.close()

    def _kill(self) -> None:
        # honcho gives each process a session of its own: end make's group and each one that
        # this run's honcho logged as started, by their ids.
        pids = [self.process.pid, *map(int, re.findall(r"started \(pid=(\d+)\)", self.log()))]
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def refused(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=1)
    except requests.ConnectionError:
        return True
    return False


@pytest.fixture
def broker_url() -> str:
    """A vhost of this test's own, emptied, so no other worker takes its jobs."""
    require_service("RabbitMQ")
    rabbitmqctl("add_vhost", VHOST)
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    url = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for queue in ("images", "images.DQ", "images.XQ"):
        channel.queue_delete(queue)
    connection.close()
    return url


@pytest.fixture
def images():
    server = ImageServer()
    yield server
    server.close()


def run_config(*, database_url: str, broker_url: str, tmp_path: Path) -> RunConfig:
    api_port, s3_port, events_port = free_port(), free_port(), free_port()
    s3_endpoint = f"127.0.0.1:{s3_port}"
    first_port = free_port_run(len(INTERNAL_PORTS))
    metrics = tmp_path / "worker-metrics"
    metrics.mkdir()
    # Every setting the run depends on is stated, so a developer's .env (which the processes
    # read under the environment) cannot send it to the development database or bucket.
    settings = Settings(
        database_url=database_url, broker_url=broker_url, redis_url=TEST_REDIS_URL,
        s3_endpoint=s3_endpoint, s3_bucket=BUCKET, s3_access_key="make-run-key",
        s3_secret_key="make-run-secret", s3_public_url=f"http://{s3_endpoint}/{BUCKET}",
        api_key_secret="test-secret", image_fetch_allow_private=True, events_port=events_port,
        image_retry_min_backoff_ms=200, image_retry_max_backoff_ms=1000)
    env = {
        **os.environ,
        **settings_env(settings),
        "PORT": str(api_port),
        "WEB_CONCURRENCY": "1",
        "LOCAL_S3_DATA_DIR": str(tmp_path / "s3"),
        "LOCAL_S3_FIRST_PORT": str(first_port),
        # The worker's Prometheus endpoint, off a developer's worker's 9191 and directory.
        "dramatiq_prom_host": "127.0.0.1",
        "dramatiq_prom_port": str(free_port()),
        "dramatiq_prom_db": str(metrics),
        "WEBHOOKS_PROM_PORT": str(free_port()),
    }
    return RunConfig(env=env, api_port=api_port, events_port=events_port, s3_endpoint=s3_endpoint,
                     first_port=first_port)


def test_stored_images_survive_a_restart_of_make_run(database_url, clean_database, broker_url,
                                                      images, tmp_path):
    # given: make run, and a product whose images reached done
    config = run_config(database_url=database_url, broker_url=broker_url, tmp_path=tmp_path)
    sources = [images.add(name, (PHOTOS / name).read_bytes()) for name in
               ("rocket.jpg", "coffee.png")]
    data_dir = Path(config.env["LOCAL_S3_DATA_DIR"])
    assert not data_dir.exists()
    run = MakeRun(config, tmp_path / "make-run-1.log")
    try:
        assert data_dir.is_dir(), "make run did not create the S3 data directory"
        api = run.api_url
        user = requests.post(api + "/users", json={"name": "Ada", "email": "ada@example.com"},
                             timeout=10).json()
        created = requests.post(
            api + "/products", headers={"Authorization": f"Bearer {user['api_key']}"},
            json={"product_name": "Lamp", "product_price": "10.00", "product_images": sources},
            timeout=10)
        assert created.status_code == 201, created.text
        product_url = f"{api}/products/{created.json()['id']}"

        def settled() -> dict | None:
            product = requests.get(product_url, timeout=5).json()
            return product if product["image_status"] != "pending" else None

        product = wait_for(settled, timeout=90, interval=0.2, message="images settled")
        assert product["image_status"] == "done", product["image_errors"]
        # Images and webhooks on workers of their own, and the live stream, all started.
        started = set(re.findall(r"(\w+)\.1 started \(pid=", run.log_path.read_text()))
        assert {"api", "worker", "webhooks", "events", "s3"} <= started, started
        # The console, served on the API's port, may open the stream from a browser.
        origin = f"http://localhost:{config.api_port}"
        answer = requests.get(f"http://127.0.0.1:{config.events_port}/healthz",
                              headers={"Origin": origin}, timeout=5)
        assert answer.headers.get("Access-Control-Allow-Origin") == origin, answer.headers
        stored = {}
        for url in product["compressed_product_images"]:
            response = requests.get(url, timeout=10)
            assert response.status_code == 200, url
            stored[url] = response.content
        assert len(stored) == len(sources)

        # when: Ctrl-C, everything gone, and make run again
        run.stop()
        for port in config.ports:
            assert refused(port), f"port {port} still answers after make run stopped"
        run = MakeRun(config, tmp_path / "make-run-2.log")

        # then: every stored URL answers with the same bytes, and the product still names them
        for url, data in stored.items():
            response = requests.get(url, timeout=10)
            assert response.status_code == 200, (url, response.text[:300])
            assert response.content == data, url
            assert response.headers["Content-Type"].startswith("image/")
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert requests.get(product_url, timeout=5).json()["compressed_product_images"] == \
            product["compressed_product_images"]
    except AssertionError as error:
        raise AssertionError(f"{error}\nmake run's output ends:\n{run.log()}") from None
    finally:
        run.stop()
        remove_sockets(config.s3_port, config.first_port)
