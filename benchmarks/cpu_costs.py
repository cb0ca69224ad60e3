"""CPU time per unit of work (issue 12): per request of the API and per image of the worker,
from the processes' own CPU counters over a fixed number of requests or images.

Requests per second swing by 2x between back-to-back wrk runs on the shared 2-core machine
(gthread's accept imbalance, other load); the CPU a request costs does not, so capacity is
planned from these figures and the req/s is only shown beside them.

What is counted, per part:

* **API**: the gunicorn process tree (master and workers; production's gunicorn.conf.py,
  2 processes x 4 threads).
* **Redis**: a redis-server of the benchmark's own (:class:`tests.support.redis_server.
  RedisServer`), so that no other client's commands are in its counters.
* **PostgreSQL**: the backends serving the measured processes' own connections, found by
  their client ports (the processes' TCP connections to 5432, matched against
  ``pg_stat_activity.client_port``), read before and after each round: no other session's
  backend is counted. The pools stay warm, so the same backends serve every round.
* for the worker also **S3** (the local SeaweedFS server's process tree: an emulator, shown
  apart and left out of the total) and **RabbitMQ** (the shared node's ``beam.smp``: it holds
  other vhosts too, so it is shown apart and left out of the total as well).

CPU time is each thread's ``sum_exec_runtime`` (``/proc/PID/task/TID/schedstat``, ns, user
and system), except for the worker, whose AVIF encoder starts and ends threads of its own:
its figure is the process tree's ``utime + stime`` (``/proc/PID/stat``, which keeps the time
of threads that have ended).

Requests: wrk with :file:`fixed_requests.lua` sends a fixed number of requests, each thread
its own share of a prepared list, then stops; the divisor is the requests *sent* (the server
worked on those). After wrk exits the counters are read once the processes are idle again.
Each kind of request runs ``ROUNDS`` times, interleaved with the other kinds, after one
unrecorded warm-up round of each; the figure is the median round (per part, and the total).

* ``/healthz``: no database, no cache.
* cached read: ``GET /products/{id}`` over 20 hot products read once beforehand: Redis hits.
* uncached read: ``GET /products/{id}`` of products not read before in that round (Redis is
  emptied before it, and every id is distinct): each a miss, a PostgreSQL read and the SET
  that fills the cache; the real miss path, not the cache switched off.
* list page: ``GET /products?user_id=..&limit=20`` with the Locust list filters
  (:data:`loadtests.scenarios.LIST_FILTERS`, a fixed seed) over the 100,000 seeded products.
* create: ``POST /products`` with 3 image URLs, the write limit on but high (so its Redis
  check runs and never refuses); the image work it queues is the worker's figure, not this.

Images: one ``dramatiq jobs.worker --processes 1 --threads 4`` (the Procfile's) over 12 MP
JPEG sources made from ``testdata/photos``, fed through the outbox as the API feeds it, each
image the default ladder (4 widths x AVIF, WebP, JPEG), stored in S3, its rendition set
written to PostgreSQL. ``WORKER_ROUNDS`` rounds of ``WORKER_IMAGES`` images after a warm-up of
one image per thread; from the insert to the last ``done``. Before each image round the
servers' idle CPU rate over ``IDLE_S`` seconds is measured and, times the round's wall time,
taken off every part: at ~1 image/s a server's housekeeping would otherwise be most of its
figure per image.

Also measured for docs/scaling.md: the size of a product row with one processed image
(``pg_column_size``), the Redis memory of its cached entry (``MEMORY USAGE``), the bytes the
ladder stores per image, and the on-disk bytes per seeded product (table and indexes).

Run: ``.venv/bin/python -m pytest benchmarks/test_cpu_costs.py --benchmark-only``;
``python -m benchmarks.cpu_costs compare A.json B.json`` prints two runs' ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg2
import redis

from benchmarks.http_load import require_wrk
from benchmarks.sources import SIZES, make_sources
from benchmarks.worker_throughput import DATABASE_URL as WORKER_DATABASE_URL
from benchmarks.worker_throughput import (
    QUEUES,
    WorkerLog,
    _consumers,
    _insert_products,
    _pipeline_services,
    _serve,
    _wait_done,
    worker_env,
)
from core.settings import Settings
from loadtests.scenarios import LIST_FILTERS, PAGE_SIZE, product_body
from models.db import release
from tests.support.environment import settings_env
from tests.support.processes import ApiServer, wait_for
from tests.support.redis_server import RedisServer
from tests.support.services import Worker

LUA = Path(__file__).resolve().parent / "fixed_requests.lua"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
POSTGRES_PORT = 5432

#: Requests per recorded round, by kind; each round of a kind is about 3-7 s here. Five
#: short rounds rather than three long ones: the median of five shrugs off a burst of other
#: load on the shared cores that lands in one or two of them.
REQUESTS = {"/healthz": 10_000, "cached read": 10_000, "uncached read": 3_000,
            "list page": 2_000, "create (3 image URLs)": 2_000}
ROUNDS = 5
WRK_THREADS, CONNECTIONS = 2, 64
HOT_PRODUCTS = 20
IMAGES_PER_CREATE = 3
WORKER_SIZE, WORKER_THREADS = "12mp", 4
WORKER_IMAGES, WORKER_ROUNDS = 8, 3
#: Seconds of idle CPU measured before each image round, to take housekeeping off.
IDLE_S = 2.0
#: The parts summed into a request's or an image's total; the others are shown apart.
REQUEST_PARTS = ("API", "Redis", "PostgreSQL")
IMAGE_PARTS = ("worker", "Redis", "PostgreSQL")
IMAGE_ASIDE = ("S3 (SeaweedFS)", "RabbitMQ (shared node)")


# --- CPU counters --------------------------------------------------------------------------


def _threads_ns(pid: int) -> int:
    """Nanoseconds on CPU of a process's live threads (schedstat's first field)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _process_ns(pid: int) -> int:
    """Nanoseconds of user + system time of a process, ended threads included (ticks)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // CLOCK_TICKS


def tree(pid: int) -> list[int]:
    """A process and its live descendants."""
    try:
        root = psutil.Process(pid)
        return [root.pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def postgres_backends(client_pids: Iterable[int], probe) -> list[int]:  # noqa: ANN001
    """Pids of the PostgreSQL backends serving the TCP connections of ``client_pids``."""
    ports = set()
    for pid in client_pids:
        try:
            connections = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        ports.update(c.laddr.port for c in connections
                     if c.raddr and c.raddr.port == POSTGRES_PORT)
    if not ports:
        return []
    with probe.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)",
                       (sorted(ports),))
        return [row[0] for row in cursor.fetchall()]


@dataclass
class Part:
    """One part of the cost: how to find its pids now, and how to read one pid's counter."""

    name: str
    pids: Callable[[], list[int]]
    read: Callable[[int], int] = _threads_ns
    #: Whether rounds wait for it to be idle: not a server with background work of its own
    #: (SeaweedFS's heartbeats, the shared RabbitMQ node's other vhosts), never quiet.
    settles: bool = True


class Meter:
    """CPU nanoseconds per part, between two snapshots; a pid seen only in the second counts
    from zero (it started meanwhile), one gone by the second is reported as lost."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self.parts = parts

    def snapshot(self) -> dict[str, dict[int, int]]:
        return {part.name: {pid: part.read(pid) for pid in part.pids()} for part in self.parts}

    @staticmethod
    def delta(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]
              ) -> tuple[dict[str, float], list[str]]:
        seconds, lost = {}, []
        for name, now in after.items():
            seconds[name] = sum(value - before[name].get(pid, 0)
                                for pid, value in now.items()) / 1e9
            lost += [f"{name} pid {pid}" for pid in before[name] if pid not in now]
        return seconds, lost

    def settle(self, *, quiet_ns: int = 1_000_000, timeout: float = 10) -> None:
        """Return once a 50 ms interval has cost less than ``quiet_ns`` over all parts: the
        requests still in flight when wrk stopped are done."""
        last = [self._total()]

        def quiet() -> bool:
            now = self._total()
            still, last[0] = now - last[0] < quiet_ns, now
            return still

        wait_for(quiet, timeout=timeout, interval=0.05, message="the measured processes idle")

    def _total(self) -> int:
        return sum(part.read(pid) for part in self.parts if part.settles for pid in part.pids())


# --- fixed-count wrk ------------------------------------------------------------------------


def fixed_wrk(base_url: str, lines: Sequence[str], *, count: int, auth: str = "",
              workdir: Path) -> dict:
    """Send ``count`` requests from ``lines`` ("METHOD PATH [BODY]", at least ``count`` +
    CONNECTIONS of them) with wrk; sent and answered counts, statuses, X-Cache headers and
    the requests/s over the time the threads ran."""
    if len(lines) < count + CONNECTIONS:
        raise ValueError(f"{len(lines)} request lines for {count} requests")
    path = workdir / "requests.txt"
    path.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "CPU_BENCH_REQUESTS": str(path), "CPU_BENCH_THREADS": str(WRK_THREADS),
           "CPU_BENCH_PER_THREAD": str(count // WRK_THREADS), "CPU_BENCH_AUTH": auth}
    started = time.perf_counter()
    process = subprocess.Popen(
        [require_wrk(), f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", "-d300s", "-s", str(LUA),
         base_url], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wrk's main thread sleeps out -d even when every thread has stopped: once only it is
    # left, SIGINT ends the sleep and wrk prints its summary.
    handle = psutil.Process(process.pid)
    wait_for(lambda: time.perf_counter() - started > 0.2 and handle.num_threads() == 1,
             timeout=280, interval=0.005, message="wrk's threads to finish")
    elapsed = time.perf_counter() - started
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    found = re.search(r"^FIXED sent=(\d+) answered=(\d+) hits=(\d+) misses=(\d+) bad=(\d+)$",
                      out, re.M)
    if not found:
        raise RuntimeError(f"wrk printed no counts:\n{out}\n{err}")
    sent, answered, hits, misses, bad = (int(value) for value in found.groups())
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {"sent": sent, "answered": answered, "hits": hits, "misses": misses, "bad": bad,
            "seconds": elapsed, "rps": answered / elapsed,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def measured_round(meter: Meter, run: Callable[[], dict], *, idle_s: float = 0) -> dict:
    """One round: the counters around ``run``, per part in us per request sent.

    With ``idle_s``, each part's CPU rate over that many idle seconds first, times the
    round's wall time, is taken off: a server's housekeeping (Redis's cron, SeaweedFS's
    heartbeats, the shared broker's other vhosts) is not work per unit, and in a round of
    8 images (~7 s) it is most of what those servers' counters show.
    """
    meter.settle()
    idle: dict[str, float] = {}
    if idle_s:
        start = meter.snapshot()
        time.sleep(idle_s)  # the idle window itself is the measurement
        idle = {name: value / idle_s for name, value in
                Meter.delta(start, meter.snapshot())[0].items()}
    before = meter.snapshot()
    started = time.perf_counter()
    result = run()
    meter.settle()
    elapsed = time.perf_counter() - started
    seconds, lost = Meter.delta(before, meter.snapshot())
    seconds = {name: max(0.0, value - idle.get(name, 0.0) * elapsed)
               for name, value in seconds.items()}
    result["cpu_us"] = {name: value * 1e6 / result["sent"] for name, value in seconds.items()}
    result["lost"] = lost
    return result


# --- the requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """What the request lists are made from: the seeded benchmark database."""

    user_id: int
    api_key: str
    #: The seeded products' ids, ascending.
    ids: tuple[int, ...]


def _list_path(rng: random.Random, user_id: int) -> str:
    from urllib.parse import urlencode

    make_filters = rng.choice(tuple(LIST_FILTERS.values()))
    return "/products?" + urlencode({"user_id": user_id, "limit": PAGE_SIZE,
                                     **make_filters(rng)})


def request_lines(kind: str, catalog: Catalog, *, count: int, seed: int,
                  hot: Sequence[int], fresh: Iterable[int]) -> list[str]:
    """``count`` + CONNECTIONS request lines of ``kind``; ``fresh`` yields ids not read yet."""
    rng = random.Random(seed)
    total = count + CONNECTIONS
    if kind == "/healthz":
        return ["GET /healthz"] * total
    if kind == "cached read":
        return [f"GET /products/{hot[i % len(hot)]}" for i in range(total)]
    if kind == "uncached read":
        return [f"GET /products/{next(fresh)}" for _ in range(total)]
    if kind == "list page":
        return [f"GET {_list_path(rng, catalog.user_id)}" for _ in range(total)]
    bodies = (product_body(rng, images=IMAGES_PER_CREATE, image_base="http://127.0.0.1:9/img")
              for _ in range(total))
    return [f"POST /products {json.dumps(body, separators=(',', ':'))}" for body in bodies]


def _fresh_ids(catalog: Catalog, hot: Sequence[int], seed: int) -> Iterable[int]:
    """Every seeded id but the hot ones, once each, in a fixed shuffled order."""
    skip = set(hot)
    ids = [i for i in catalog.ids if i not in skip]
    random.Random(seed).shuffle(ids)
    return iter(ids)


def measure_requests(catalog: Catalog, database_url: str, api_key_secret: str,
                     workdir: Path) -> dict:
    """Per kind of request, the median round's CPU us per request of each part, and its
    requests/s; plus the storage figures of a seeded product."""
    with ExitStack() as stack:
        cache = RedisServer()
        stack.callback(cache.stop)
        env = settings_env(Settings(database_url=database_url, redis_url=cache.url,
                                    api_key_secret=api_key_secret, log_level="WARNING",
                                    rate_limit_writes_per_minute=10**9,
                                    rate_limit_signups_per_minute=0))
        api = ApiServer(env, workers=2, threads=4, log_path=workdir / "api.log")
        stack.callback(api.stop)
        probe = psycopg2.connect(database_url, application_name="cpu-costs-probe")
        stack.callback(probe.close)
        probe.autocommit = True
        meter = Meter([
            Part("API", lambda: tree(api.process.pid)),
            Part("Redis", lambda: [cache.process.pid]),
            Part("PostgreSQL", lambda: postgres_backends(tree(api.process.pid), probe)),
        ])
        client = redis.Redis.from_url(cache.url)
        stack.callback(client.close)
        hot = list(catalog.ids[-HOT_PRODUCTS:])
        fresh = _fresh_ids(catalog, hot, seed=12)
        auth = f"Bearer {catalog.api_key}"

        def run(kind: str, count: int, seed: int) -> dict:
            lines = request_lines(kind, catalog, count=count, seed=seed, hot=hot, fresh=fresh)
            if kind == "uncached read":
                client.flushdb()
            if kind == "cached read":
                for product_id in hot:  # the hot set in the cache, whatever ran before
                    _get(api.url, f"/products/{product_id}")
            return fixed_wrk(api.url, lines, count=count, auth=auth, workdir=workdir)

        # Warm-up: every thread's connections and pools, every code path once.
        for kind, count in REQUESTS.items():
            run(kind, count // 4, seed=1_000)
        rounds: dict[str, list[dict]] = {kind: [] for kind in REQUESTS}
        for number in range(ROUNDS):
            for kind, count in REQUESTS.items():
                rounds[kind].append(measured_round(
                    meter, lambda kind=kind, count=count, number=number:
                    run(kind, count, seed=number)))
        storage = {"redis_bytes_cached_product_no_images":
                   client.memory_usage(next(iter(client.scan_iter(count=1000))))}
        with probe.cursor() as cursor:
            cursor.execute("SELECT pg_total_relation_size('products')::float / count(*),"
                           " pg_relation_size('products')::float / count(*), count(*)"
                           " FROM products")
            total, heap, products = cursor.fetchone()
        storage.update({"products_on_disk_bytes_per_product": total,
                        "products_heap_bytes_per_product": heap, "products": products})
    return {"requests": summarize(rounds, REQUEST_PARTS), "rounds": rounds, "storage": storage}


def _get(base_url: str, path: str) -> None:
    import requests

    requests.get(base_url + path, timeout=5).raise_for_status()


def summarize(rounds: dict[str, list[dict]], parts: Sequence[str]) -> dict[str, dict]:
    """Per kind: the median of the rounds for each part and for the total of ``parts``."""
    summary = {}
    for kind, runs in rounds.items():
        names = list(runs[0]["cpu_us"])
        figures = {name: statistics.median(run["cpu_us"][name] for run in runs)
                   for name in names}
        totals = [sum(run["cpu_us"][name] for name in parts) for run in runs]
        summary[kind] = {"cpu_us": figures, "total_us": statistics.median(totals),
                         "rounds_total_us": [round(value, 1) for value in totals],
                         "rps": statistics.median(run["rps"] for run in runs),
                         "sent": runs[0]["sent"],
                         "bad": sum(run["bad"] for run in runs),
                         "hits": sum(run["hits"] for run in runs),
                         "misses": sum(run["misses"] for run in runs),
                         "lost": sorted({pid for run in runs for pid in run["lost"]})}
    return summary


# --- the images ----------------------------------------------------------------------------


def _rabbitmq_pids() -> list[int]:
    """The node listening on the AMQP port: other nodes (a test's cluster) are not ours."""
    return sorted({connection.pid for connection in psutil.net_connections(kind="tcp")
                   if connection.status == psutil.CONN_LISTEN and connection.laddr.port == 5672
                   and connection.pid})


def measure_images(workdir: Path) -> dict:
    """Per image, the median round's CPU ms of each part, and the images/s; plus the row and
    cache sizes of a product with one processed image."""
    sources = make_sources(SIZES[WORKER_SIZE], WORKER_IMAGES * WORKER_ROUNDS + WORKER_THREADS)
    with ExitStack() as stack:
        server, s3, user_id, log_dir = stack.enter_context(_pipeline_services())
        cache = RedisServer()
        stack.callback(cache.stop)
        metrics = log_dir / "metrics"
        metrics.mkdir()
        env = {**worker_env(s3, metrics), "REDIS_URL": cache.url}
        log_path = log_dir / "worker.log"
        worker = Worker(env, log_path=log_path, threads=WORKER_THREADS)
        stack.callback(worker.stop)
        probe = psycopg2.connect(WORKER_DATABASE_URL, application_name="cpu-costs-probe")
        stack.callback(probe.close)
        probe.autocommit = True
        meter = Meter([
            Part("worker", lambda: tree(worker.process.pid), read=_process_ns),
            Part("Redis", lambda: [cache.process.pid]),
            Part("PostgreSQL", lambda: postgres_backends(tree(worker.process.pid), probe)),
            Part("S3 (SeaweedFS)", lambda: tree(s3.process.pid), settles=False),
            Part("RabbitMQ (shared node)", _rabbitmq_pids, settles=False),
        ])
        wait_for(lambda: worker.process.poll() is None and _consumers(QUEUES[0]) > 0,
                 timeout=60, interval=0.2, message="the worker to consume")
        log = WorkerLog(log_path)
        urls = _serve(server, sources, "c")
        _wait_done(worker, log, _insert_products(user_id, urls[:WORKER_THREADS]), timeout=60)
        rounds, done_events = [], {}
        for number in range(WORKER_ROUNDS):
            batch = urls[WORKER_THREADS + number * WORKER_IMAGES:][:WORKER_IMAGES]

            def run(batch: Sequence[str] = batch) -> dict:
                started = time.perf_counter()
                done = _wait_done(worker, log, _insert_products(user_id, batch),
                                  timeout=60 + 5 * len(batch))
                done_events.update(done)
                elapsed = time.perf_counter() - started
                return {"sent": len(done), "rps": len(done) / elapsed, "bad": 0, "hits": 0,
                        "misses": 0}

            rounds.append(measured_round(meter, run, idle_s=IDLE_S))
        storage = _product_storage(probe, env, cache, log_dir, next(iter(done_events)))
        storage["s3_bytes_per_image"] = statistics.fmean(
            event.get("bytes_out", 0) for event in done_events.values())
        storage["source_bytes_per_image"] = statistics.fmean(len(s) for s in sources)
    return {"images": summarize({f"image, {WORKER_SIZE} JPEG": rounds}, IMAGE_PARTS),
            "image_rounds": rounds, "image_storage": storage}


def _product_storage(probe, env: dict[str, str], cache: RedisServer, log_dir: Path,  # noqa: ANN001
                     product_id: int) -> dict:
    """Row bytes of a product with one processed image, and its cached entry's Redis bytes."""
    with probe.cursor() as cursor:
        cursor.execute("SELECT pg_column_size(p.*), pg_column_size(image_media)"
                       " FROM products p WHERE id = %s", (product_id,))
        row, media = cursor.fetchone()
    client = redis.Redis.from_url(cache.url)
    try:
        client.flushdb()
        api = ApiServer(env, workers=1, threads=1,
                        log_path=log_dir / "api.log")
        try:
            _get(api.url, f"/products/{product_id}")
        finally:
            api.stop()
        [key] = list(client.scan_iter())
        entry = client.memory_usage(key)
        value = client.strlen(key) if client.type(key) == b"string" else None
    finally:
        client.close()
    return {"row_bytes_one_image": row, "image_media_bytes_one_image": media,
            "redis_bytes_cached_product_one_image": entry, "cached_value_bytes_one_image": value}


def measure(catalog: Catalog, database_url: str, api_key_secret: str) -> dict:
    """The requests, then the images (each with its own Redis), and when and where."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cpu-costs-") as workdir:
        result = measure_requests(catalog, database_url, api_key_secret, Path(workdir))
        release()
        result.update(measure_images(Path(workdir)))
    result["seconds"] = time.perf_counter() - started
    return result


# --- the tables ----------------------------------------------------------------------------


def format_table(result: dict) -> str:
    """The CPU-per-request and CPU-per-image tables as Markdown."""
    lines = ["| request | requests/round | API us | Redis us | PostgreSQL us | total us/request "
             "| rounds, total us | requests/s (same rounds) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for kind, figures in result["requests"].items():
        cpu = figures["cpu_us"]
        lines.append(f"| {kind} | {figures['sent']:,} | {cpu['API']:.1f} | {cpu['Redis']:.1f} "
                     f"| {cpu['PostgreSQL']:.1f} | **{figures['total_us']:.1f}** "
                     f"| {figures['rounds_total_us']} | {figures['rps']:,.0f} |")
    lines += ["", "| work | images/round | worker ms | Redis ms | PostgreSQL ms | total ms/image "
              "| rounds, total ms | S3 server ms (apart) | RabbitMQ node ms (shared, apart) "
              "| images/s |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
    for kind, figures in result["images"].items():
        cpu = {name: value / 1000 for name, value in figures["cpu_us"].items()}
        lines.append(
            f"| {kind}, 12 renditions | {figures['sent']} | {cpu['worker']:.0f} "
            f"| {cpu['Redis']:.2f} | {cpu['PostgreSQL']:.1f} "
            f"| **{figures['total_us'] / 1000:.0f}** "
            f"| {[round(v / 1000) for v in figures['rounds_total_us']]} "
            f"| {cpu['S3 (SeaweedFS)']:.0f} | {cpu['RabbitMQ (shared node)']:.1f} "
            f"| {figures['rps']:.2f} |")
    storage = {**result["storage"], **result["image_storage"]}
    lines += ["", "| storage | bytes |", "| --- | ---: |"]
    lines += [f"| {name.replace('_', ' ')} | {value:,.0f} |" for name, value in storage.items()
              if value is not None]
    return "\n".join(lines)


def figures(result: dict) -> dict[str, float]:
    """Every figure of a result by a flat name, in us (requests and images alike)."""
    flat = {}
    for group in ("requests", "images"):
        for kind, values in result[group].items():
            for part, value in values["cpu_us"].items():
                flat[f"{kind} / {part}"] = value
            flat[f"{kind} / total"] = values["total_us"]
    return flat


def compare(first: dict, second: dict, *, floor_us: float = 5.0,
            tolerance: float = 0.15) -> tuple[str, bool]:
    """Two runs' figures side by side with second / first; whether every figure above
    ``floor_us`` (in either run) agrees within ``tolerance``."""
    one, two = figures(first), figures(second)
    lines = ["| figure | run 1 us | run 2 us | run 2 / run 1 | checked |",
             "| --- | ---: | ---: | ---: | --- |"]
    agree = True
    for name, value in one.items():
        other = two[name]
        checked = max(value, other) > floor_us
        ratio = other / value if value else float("inf")
        ok = not checked or abs(ratio - 1) <= tolerance
        agree &= ok
        lines.append(f"| {name} | {value:,.1f} | {other:,.1f} | {ratio:.3f} | "
                     f"{('yes' if ok else 'NO') if checked else 'below 5 us'} |")
    return "\n".join(lines), agree


def main() -> None:
    parser = argparse.ArgumentParser(description="Compare two runs of the CPU-cost benchmark.")
    parser.add_argument("command", choices=["compare"])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args()
    table, agree = compare(json.loads(args.first.read_text()),
                           json.loads(args.second.read_text()))
    print(table)
    print(f"\nevery figure above 5 us within 15 %: {'yes' if agree else 'NO'}")
    raise SystemExit(0 if agree else 1)


if __name__ == "__main__":
    main()

