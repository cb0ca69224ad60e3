"""Real processes the integration tests need: the S3 endpoint (moto's server) and Dramatiq
workers, started the way operators start them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.support.processes import REPO, free_port, wait_for


class S3Server:
    """moto's S3 server: a real HTTP S3 endpoint that keeps objects in memory."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1",
             "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: requests.get(f"http://{self.endpoint}/", timeout=1).ok, timeout=30,
                 message="moto_server")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Worker:
    """``dramatiq jobs.worker`` in its own process group, so it can be killed whole."""

    def __init__(self, env: dict[str, str], *, log_path: Path, processes: int = 1,
                 threads: int = 2) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dramatiq"), "jobs.worker",
             "--processes", str(processes), "--threads", str(threads)],
            cwd=REPO, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL every process of the worker: no chance to finish or acknowledge anything."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
