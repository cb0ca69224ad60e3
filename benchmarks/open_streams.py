"""2,000 open streams on one stream process (issue 13): its memory and CPU at rest, every
stream receiving its own user's event, and no database connection held per stream.

One ``python -m stream`` process (its defaults: 15 s heartbeats, a 5 s poll tick), its
RLIMIT_NOFILE raised before it starts (and this process's too). ``STREAMS`` users with API
keys are made through :mod:`models.users` in one transaction; this process then holds one
stream per user, each a raw-socket HTTP/1.1 client on one asyncio loop
(:func:`benchmarks.stream_process.open_stream`), at most ``OPENING`` opening at once.

Measured:

* **at rest**: the stream process's RSS (``VmRSS``) with 0 streams and with all open, and
  its CPU seconds (``/proc/PID/stat`` utime + stime, ended threads included) over
  ``REST_S`` seconds with every stream idle (heartbeats and ticks are all that runs);
* **database connections** of the stream process, by the client ports of its TCP
  connections to PostgreSQL matched in ``pg_stat_activity`` (and the listener by its
  ``application_name``), with 0 streams and with all open;
* **one event per user**: a product created per user, each in its own transaction, one after
  another from one thread; the time from the first write to the last stream's message, each
  message's latency from its event's ``created_at`` (the transaction's start), and the
  stream process's CPU meanwhile. Every stream must get exactly its own user's event, and
  nothing else until one more poll tick has passed.

The run holds the test sessions' lock and uses the worker benchmark's database (emptied).

Run: ``.venv/bin/pytest benchmarks/test_open_streams.py --benchmark-only -s`` or
``.venv/bin/python -m benchmarks.open_streams [--streams N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import psycopg2

from benchmarks.cpu_costs import _process_ns, postgres_backends
from benchmarks.notify_latency import API_KEY_SECRET, summary
from benchmarks.stream_process import StreamProcess, open_stream, raise_nofile, sse_messages
from benchmarks.worker_throughput import (
    DATABASE_URL,
    REDIS_URL,
    bench_database,
    exclusive_services,
)
from core.api_keys import hash_api_key, new_api_key
from core.settings import Settings
from models.db import db, release
from models.products import create_product
from models.users import create_user
from stream.hub import LISTENER_NAME
from tests.support.environment import settings_env

STREAMS = 2000
REST_S = 30.0
OPENING = 100
EVENT_TYPE = "product.created"
#: Past the default EVENTS_POLL_SECONDS (5 s): a stray message would have come by then.
QUIET_S = 6.0


def _rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _connections(pid: int, probe) -> dict:  # noqa: ANN001 - a psycopg2 connection
    with probe.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                       (LISTENER_NAME,))
        [listeners] = cursor.fetchone()
    return {"backends": len(postgres_backends([pid], probe)), "listeners": listeners}


def _users(count: int) -> list[tuple[int, str]]:
    keys = [new_api_key() for _ in range(count)]
    try:
        with db.atomic():
            return [(create_user(f"Stream {i}", f"stream-{i}@example.com",
                                 hash_api_key(key, API_KEY_SECRET)).id, key)
                    for i, key in enumerate(keys)]
    finally:
        release()


def _write_one_each(user_ids: list[int]) -> None:
    try:
        for user_id in user_ids:
            with db.atomic():
                create_product(user_id, f"Lamp of {user_id}", None, [], Decimal("9.99"))
            release()
    finally:
        release()


def _created_at() -> dict[str, float]:
    try:
        rows = db.execute_sql("SELECT user_id, extract(epoch FROM created_at)::float8"
                              " FROM events WHERE type = %s", (EVENT_TYPE,)).fetchall()
        return {user_id: at for user_id, at in rows}
    finally:
        release()


def measure(*, streams: int = STREAMS, rest_s: float = REST_S) -> dict:
    with exclusive_services():
        return _measure(streams=streams, rest_s=rest_s)


def _measure(*, streams: int, rest_s: float) -> dict:
    raise_nofile()
    with ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-streams-")))
        stack.enter_context(bench_database())
        users = _users(streams)
        settings = Settings(database_url=DATABASE_URL, redis_url=REDIS_URL,
                            api_key_secret=API_KEY_SECRET)
        stream = StreamProcess(settings_env(settings), log_path=log_dir / "stream.log")
        stack.callback(stream.stop)
        probe = psycopg2.connect(DATABASE_URL)
        probe.autocommit = True
        stack.callback(probe.close)
        pid = stream.process.pid
        result = {"streams": streams, "rest_s": rest_s,
                  "idle": {"rss_bytes": _rss_bytes(pid), **_connections(pid, probe)}}
        result.update(asyncio.run(_hold(stream.port, pid, users, probe, rest_s)))
        return result


async def _hold(port: int, pid: int, users: list[tuple[int, str]], probe,  # noqa: ANN001
                rest_s: float) -> dict:
    gate = asyncio.Semaphore(OPENING)
    received: dict[int, list[tuple[float, dict]]] = defaultdict(list)

    async def one(user_id: int, key: str):  # noqa: ANN202
        async with gate:
            return await open_stream(port, user_id, key)

    async def collect(user_id: int, reader: asyncio.StreamReader) -> None:
        async for at, fields in sse_messages(reader):
            received[user_id].append((at, fields))

    started = time.perf_counter()
    opened = await asyncio.gather(*(one(user_id, key) for user_id, key in users))
    open_s = time.perf_counter() - started
    readers = [asyncio.create_task(collect(user_id, reader))
               for (user_id, _), (reader, _) in zip(users, opened, strict=True)]
    try:
        await asyncio.sleep(2)  # let the opening reads end before the rest window
        held = {"rss_bytes": _rss_bytes(pid), **_connections(pid, probe)}
        cpu = _process_ns(pid)
        await asyncio.sleep(rest_s)  # the rest window is the measurement
        rest_cpu = (_process_ns(pid) - cpu) / 1e9
        held["rss_after_rest_bytes"] = _rss_bytes(pid)

        user_ids = [user_id for user_id, _ in users]
        cpu, first_write = _process_ns(pid), time.time()
        writing = asyncio.create_task(asyncio.to_thread(_write_one_each, user_ids))
        deadline = time.monotonic() + 120
        while sum(1 for u in user_ids if received[u]) < len(user_ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{sum(1 for u in user_ids if received[u])} of "
                                   f"{len(user_ids)} streams got their event after 120 s")
            await asyncio.sleep(0.05)
        await writing
        last = max(messages[0][0] for messages in received.values())
        burst_cpu = (_process_ns(pid) - cpu) / 1e9
        await asyncio.sleep(QUIET_S)  # any stray or repeated message would arrive by now
        during = {"rss_bytes": _rss_bytes(pid), **_connections(pid, probe)}
    finally:
        for _, writer in opened:
            writer.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    wrong = []
    for user_id in user_ids:
        bodies = [json.loads(fields["data"]) for _, fields in received[user_id]]
        if len(bodies) != 1 or bodies[0]["type"] != EVENT_TYPE or \
                bodies[0]["data"]["user_id"] != user_id:
            wrong.append((user_id, [(b["type"], b["data"]["user_id"]) for b in bodies]))
    created = await asyncio.to_thread(_created_at)
    latencies = [(received[u][0][0] - created[u]) * 1000 for u in user_ids]
    return {"open_s": open_s, "held": held, "rest_cpu_s": rest_cpu,
            "all_arrived_s": last - first_write, "write_s": max(created.values()) - first_write,
            "burst_cpu_s": burst_cpu, "latency_ms": summary(latencies), "after_burst": during,
            "wrong": wrong}


def format_table(r: dict) -> str:
    mb = 2**20
    held, idle = r["held"], r["idle"]
    return "\n".join([
        "| figure | 0 streams | {:,} open streams |".format(r["streams"]),
        "| --- | ---: | ---: |",
        f"| stream process RSS MB | {idle['rss_bytes'] / mb:.1f} | {held['rss_bytes'] / mb:.1f} "
        f"(after the rest: {held['rss_after_rest_bytes'] / mb:.1f}) |",
        f"| its PostgreSQL connections (by client port) | {idle['backends']} "
        f"| {held['backends']} (after the events: {r['after_burst']['backends']}) |",
        f"| of them the listener (application_name) | {idle['listeners']} "
        f"| {held['listeners']} |",
        "",
        "| figure | value |", "| --- | ---: |",
        f"| time to open all streams (at most {OPENING} opening at once) | {r['open_s']:.1f} s |",
        f"| RSS per open stream | "
        f"{(held['rss_bytes'] - idle['rss_bytes']) / r['streams'] / 1024:.1f} KiB |",
        f"| CPU at rest, {r['rest_s']:.0f} s, all idle | {r['rest_cpu_s']:.2f} s "
        f"({r['rest_cpu_s'] / r['rest_s'] * 100:.1f} % of a core) |",
        f"| one event per user: writes ({r['streams']:,} transactions) | {r['write_s']:.1f} s |",
        f"| first write to the last stream's message | {r['all_arrived_s']:.1f} s |",
        f"| stream process CPU meanwhile | {r['burst_cpu_s']:.2f} s "
        f"({r['burst_cpu_s'] * 1000 / r['streams']:.2f} ms per message) |",
        f"| message latency from its transaction's start, p50 / p95 / max | "
        f"{r['latency_ms']['p50']:.0f} / {r['latency_ms']['p95']:.0f} / "
        f"{r['latency_ms']['max']:.0f} ms |",
        f"| streams with a missing, extra or foreign message | {len(r['wrong'])} |",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=STREAMS)
    parser.add_argument("--rest", type=float, default=REST_S)
    args = parser.parse_args()
    print(format_table(measure(streams=args.streams, rest_s=args.rest)))


if __name__ == "__main__":
    main()
