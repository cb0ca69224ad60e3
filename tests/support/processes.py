"""Starting the real API (gunicorn) and waiting for things with a deadline."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import requests

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def stopped_after(start: Callable[..., T],
                  stop: Callable[[T], object]) -> Iterator[Callable[..., T]]:
    """``start``, remembering what it started, and ``stop`` for each of those on leaving: a
    fixture's "start some, stop them at the end of the test"."""
    started: list[T] = []

    def remembered(*args: object, **kwargs: object) -> T:
        started.append(start(*args, **kwargs))
        return started[-1]

    try:
        yield remembered
    finally:
        for each in started:
            stop(each)


def wait_for(check: Callable[[], T], *, timeout: float = 20, interval: float = 0.05,
             message: str = "condition") -> T:
    """Poll ``check`` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - keep polling; report the last one
            last_error = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}: {last_error!r}")


def wait_until_up(process: subprocess.Popen, ready: Callable[[], bool], *, name: str,
                  timeout: float, stop: Callable[[], None], log: Callable[[], str]) -> None:
    """Poll ``ready`` until a started process serves; past the deadline (or once it has
    exited), stop it and fail with the end of its output."""

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{name} exited with {process.returncode}")
        return ready()

    try:
        wait_for(up, timeout=timeout, interval=0.2, message=name)
    except AssertionError as error:
        stop()
        raise AssertionError(f"{error}\n{name}'s output ends:\n{log()}") from None


class ApiServer:
    """A gunicorn process serving the API with the given environment."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, threads: int = 4,
                 log_path: Path | None = None, extra_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env, "PORT": str(self.port),
                    "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", *extra_args, "api.wsgi:app"],
            cwd=REPO, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        wait_for(self._healthy, timeout=30, message=f"gunicorn on :{self.port}")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.process.returncode}")
        return requests.get(self.url + "/healthz", timeout=1).status_code == 200

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()
