"""Real processes the integration tests need: the S3 endpoint (SeaweedFS, as `make run` starts
it) and Dramatiq workers, started the way operators start them."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from core.settings import Settings
from scripts.s3server import INTERNAL_PORTS
from tests.support.processes import REPO, free_port, wait_until_up


def free_port_run(count: int) -> int:
    """The first of ``count`` consecutive free ports, below the ephemeral range (where
    free_port's picks and outgoing connections live) and clear of `make run`'s 9000-9339."""
    for _ in range(200):
        first = random.randrange(20000, 30000 - count)
        if all(_bindable(port) for port in range(first, first + count)):
            return first
    raise AssertionError(f"no {count} consecutive free ports")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def s3_ready(endpoint: str, master_port: int) -> bool:
    """Whether scripts/s3server.py's SeaweedFS serves reads and writes."""
    # Objects need a volume server that the master knows; until then a PUT waits or fails.
    topology = requests.get(f"http://127.0.0.1:{master_port}/dir/status",
                            timeout=1).json()["Topology"]
    if not topology.get("DataCenters"):
        return False
    # Any answer (403 without credentials) means the gateway is listening.
    return requests.get(f"http://{endpoint}/", timeout=1).status_code > 0


def remove_sockets(s3_port: int, first_port: int) -> None:
    """Remove the Unix sockets that a stopped weed left in the temporary directory, named by
    the ports (ours: the caller started that server)."""
    for port in (s3_port, *range(first_port, first_port + len(INTERNAL_PORTS))):
        for path in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{port}.sock"):
            path.unlink(missing_ok=True)


class S3Server:
    """SeaweedFS's S3 gateway through scripts/s3server.py, the command `make run` uses, with
    its objects on disk in a temporary directory that stop() removes. It accepts the keys of
    the settings' defaults unless told others. Start-up takes 3-8 s (measured: the S3 port
    answers after about 3 s; the volume server registers with the master on its first or
    second heartbeat, 5 s apart), so the tests start one per session."""

    #: Seconds between SIGTERM and SIGKILL: weed's filer waits 15 s for its gRPC streams
    #: before it exits (measured), and nothing it acknowledged needs that wait.
    STOP_TIMEOUT = 5

    def __init__(self, *, access_key: str = Settings.s3_access_key,
                 secret_key: str = Settings.s3_secret_key) -> None:
        self.access_key, self.secret_key = access_key, secret_key
        self.directory = Path(tempfile.mkdtemp(prefix="s3server-"))
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.first_port = free_port_run(len(INTERNAL_PORTS))
        self.master_port = self.first_port + INTERNAL_PORTS.index("master")
        self.log_path = self.directory / "weed.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "S3_ENDPOINT": self.endpoint, "AWS_ACCESS_KEY_ID": access_key,
               "AWS_SECRET_ACCESS_KEY": secret_key}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scripts.s3server", "--data-dir",
             str(self.directory / "data"), "--first-port", str(self.first_port)],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(self.process, lambda: s3_ready(self.endpoint, self.master_port),
                      name=f"SeaweedFS S3 on {self.endpoint}", timeout=60, stop=self.stop,
                      log=self._tail)

    def _tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=self.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        remove_sockets(self.port, self.first_port)


class Worker:
    """``dramatiq jobs.worker`` in its own process group, so it can be killed whole.

    ``queues``: the queues it consumes (``--queues``, as the Procfile splits images and
    webhooks); every declared queue when empty."""

    def __init__(self, env: dict[str, str], *, log_path: Path, processes: int = 1,
                 threads: int = 2, queues: tuple[str, ...] = ()) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dramatiq"), "jobs.worker",
             "--processes", str(processes), "--threads", str(threads),
             *(["--queues", *queues] if queues else [])],
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
