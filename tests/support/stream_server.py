"""The real stream process (``python -m stream``) and a Server-Sent Events client of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

import requests

from tests.support.processes import REPO, free_port, wait_until_up

#: Seconds SIGTERM may take to end the process, open streams and all, before it is killed.
STOP_TIMEOUT = 10
#: Seconds :func:`messages` waits for its events: generous, for a loaded machine.
MESSAGE_TIMEOUT = 20


class StreamServer:
    """One stream process on a port of its own, which a restart keeps (clients reconnect to
    the same URL)."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Its output, for the failure message of a start that does not come up.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stream"], cwd=REPO,
            env={**os.environ, **self.env, "EVENTS_PORT": str(self.port)},
            stdout=self._log, stderr=subprocess.STDOUT)
        wait_until_up(self.process, lambda: requests.get(self.url + "/healthz", timeout=1).ok,
                      name="the stream process", timeout=20, stop=self.stop, log=self.log)

    def stop(self) -> int:
        """SIGTERM, then SIGKILL past STOP_TIMEOUT; the exit status (negative: a signal)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def close(self) -> None:
        self.stop()
        self._log.close()


def open_stream(stream: StreamServer, user_id: int, headers: dict | None = None, *,
                params: dict | None = None, timeout: float = 10) -> requests.Response:
    """``GET /users/{id}/events`` as EventSource sends it (``Accept: text/event-stream``)."""
    return requests.get(f"{stream.url}/users/{user_id}/events", stream=True, timeout=timeout,
                        params=params, headers={"Accept": "text/event-stream", **(headers or {})})


def messages(response: requests.Response, count: int, *,
             timeout: float = MESSAGE_TIMEOUT) -> list[dict]:
    """The next ``count`` events, each as its fields (comments skipped), within ``timeout``
    seconds. One line iterator per response: a second iter_lines would lose what the first
    had buffered."""
    if not hasattr(response, "lines"):
        response.lines = response.iter_lines(decode_unicode=True)
    deadline = time.monotonic() + timeout
    found, current = [], {}
    for line in response.lines:
        # Heartbeats keep lines coming, so a stream that never sends the event ends here.
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} of {count} events within {timeout}s: {found}")
        if line == "":
            if current:
                found.append(current)
                current = {}
                if len(found) == count:
                    return found
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            current[name] = value
    raise AssertionError(f"the stream ended after {len(found)} events")
