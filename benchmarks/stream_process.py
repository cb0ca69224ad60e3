"""The processes the notification benchmarks start besides the image pipeline's: the stream
(``python -m stream``, with a raised open-files limit) and Dramatiq workers bound to one
queue (``--queues``), as the Procfile runs them."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import requests

from tests.support.processes import REPO, free_port, wait_until_up
from tests.support.services import Worker

#: Open files the stream process may hold: 2,000 streams, the pool and the listener, with room.
STREAM_NOFILE = 8192


def raise_nofile(limit: int = STREAM_NOFILE) -> None:
    """Lift this process's soft RLIMIT_NOFILE to ``limit`` (at most the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class QueueWorker(Worker):
    """``dramatiq jobs.worker --queues ...``: a worker of one kind, in its own process group."""

    def __init__(self, env: dict[str, str], *, log_path: Path, queues: Sequence[str],
                 threads: int) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dramatiq"), "jobs.worker", "--processes", "1",
             "--threads", str(threads), "--queues", *queues],
            cwd=REPO, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)


class StreamProcess:
    """``python -m stream`` on a free port, its open-files limit raised before it starts."""

    def __init__(self, env: dict[str, str], *, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stream"], cwd=REPO,
            env={**os.environ, **env, "EVENTS_PORT": str(self.port)},
            stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
        wait_until_up(self.process, lambda: requests.get(self.url + "/healthz", timeout=1).ok,
                      name="the stream process", timeout=30, stop=self.stop,
                      log=lambda: log_path.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def parse_sse(lines: Sequence[str]) -> dict[str, str]:
    """One SSE message's fields (``id``, ``event``, ``data``) from its lines."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value[1:] if value.startswith(" ") else value
    return fields


async def open_stream(port: int, user_id: int, api_key: str, *, host: str = "127.0.0.1"
                      ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw HTTP/1.1 request for the user's stream; returns once its 200 headers are read."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write((f"GET /users/{user_id}/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  f"Accept: text/event-stream\r\nAuthorization: Bearer {api_key}\r\n\r\n"
                  ).encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    if not head.startswith("HTTP/1.1 200") or "chunked" not in head.lower():
        writer.close()
        raise RuntimeError(f"stream of user {user_id}: {head.splitlines()[0]!r}")
    return reader, writer


async def sse_messages(reader: asyncio.StreamReader) -> AsyncIterator[tuple[float, dict]]:
    """(arrival time, fields) of each message of a chunked SSE response, as it completes;
    comments (heartbeats) are left out."""
    buffer = ""
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)
        if size == 0:
            return
        buffer += (await reader.readexactly(size + 2))[:-2].decode()
        while "\n\n" in buffer:
            message, buffer = buffer.split("\n\n", 1)
            fields = parse_sse(message.split("\n"))
            if fields:
                yield time.time(), fields
