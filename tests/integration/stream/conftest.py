"""The real stream process (python -m stream) and the API under gunicorn beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from tests.support.environment import settings_env
from tests.support.processes import REPO, ApiServer, free_port, wait_for


class StreamServer:
    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stream"], cwd=REPO,
            env={**os.environ, **self.env, "EVENTS_PORT": str(self.port)},
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(lambda: requests.get(self.url + "/healthz", timeout=1).ok, timeout=20,
                 message="the stream process")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def api(base_settings, clean_database) -> Iterator[ApiServer]:
    server = ApiServer(settings_env(base_settings))
    yield server
    server.stop()


@pytest.fixture
def stream(base_settings, clean_database) -> Iterator[StreamServer]:
    server = StreamServer(settings_env(base_settings, EVENTS_HEARTBEAT_SECONDS="0.5",
                                       EVENTS_POLL_SECONDS="0.5",
                                       EVENTS_CORS_ORIGINS="https://allowed.example"))
    yield server
    server.stop()
