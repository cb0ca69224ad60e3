"""Redis for tests: the shared server's test database, and a redis-server of a test's own
that it may stop and start again."""

from __future__ import annotations

import subprocess

import redis

from tests.support.processes import free_port, wait_for

#: Database 13 of the shared server is the tests' own; clean_database empties it.
TEST_REDIS_URL = "redis://127.0.0.1:6379/13"


class RedisServer:
    """A redis-server on a free port, keeping nothing on disk (so a restart starts empty)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, timeout=10, interval=0.01,
                 message=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.process.returncode}")
        probe = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return probe.ping()
        finally:
            probe.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
