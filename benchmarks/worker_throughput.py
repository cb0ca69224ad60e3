"""Image worker throughput and CPU per source image, now that every image is a rendition ladder
(4 widths x AVIF, WebP and JPEG: 12 renditions, a BlurHash placeholder, 12 uploads).

One run measures, on the same JPEG sources (quality 90, made by :mod:`benchmarks.sources`,
served by a local :class:`~tests.support.image_server.ImageServer`), at one source size:

* **naive loop**: :func:`benchmarks.ladder_cost.naive`, single-threaded and in-process: for
  each of the 12 renditions, decode the source, LANCZOS-resize it from full size, encode it
  with the ladder's own encoder settings; the yardstick (like with like: the same 12 outputs).
* **render_ladder**: :func:`jobs.ladder.render_ladder` alone, in-process, at the defaults.
* **worker**: one ``dramatiq jobs.worker --processes 1 --threads T`` process per T in
  ``threads``, fed through the outbox exactly as the API feeds it (``create_product`` +
  ``add_image_jobs`` in one ``db.atomic()``), downloading over HTTP, storing the 12
  renditions in S3 (SeaweedFS's server) and writing the rendition set to PostgreSQL.

The worker is started first and warmed up with a few images of its own, so neither booting
nor first-use costs (imports, connections) count. Its wall time runs from the start of the
first measured ``download`` to the end of the last ``done`` (from the worker's JSON log lines,
``timestamp`` minus ``duration_ms``); its CPU time is that of the worker's process tree
(psutil: the kernel's counters of each process) from the insert to the last ``done``, so the
relay's publishing counts too. Its peak memory is the largest ``VmHWM`` (peak resident set,
the kernel's own counter in /proc/PID/status) of its processes, read before it stops.
:func:`measure_memory` runs it on 50 MP sources for that figure alone.

A run holds the test sessions' lock (tests/conftest.py), waiting up to 150 s for it: the
test suite stops RabbitMQ in its fault tests and loads both cores, and two benchmark runs at
once would take each other's jobs. The table shows what else used the cores during each
worker run ("other load").

Everything lives apart from the developer's system and the other benchmarks: the database
``product_management_bench_worker`` (not ``product_management_bench``: that one holds the
list-query benchmark's 100,000 seeded products, which the truncation here would destroy),
the RabbitMQ vhost ``product_catalog_bench``, Redis database 12, and a SeaweedFS S3 server
of its own.

Run: ``.venv/bin/pytest benchmarks/test_worker_throughput.py --benchmark-only -s -q`` or
``.venv/bin/python -m benchmarks.worker_throughput [--size 2mp|12mp] [--images N]``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pika
import psutil
import redis

from benchmarks.ladder_cost import Phases, naive, whole
from benchmarks.sources import SIZES, make_sources
from core.settings import Settings
from models.db import bind, db, release
from models.migrate import migrate
from models.outbox import add_image_jobs
from models.products import create_product
from models.users import create_user
from tests.support.environment import settings_env
from tests.support.image_server import ImageServer
from tests.support.pipeline import rabbitmqctl
from tests.support.processes import free_port, wait_for
from tests.support.required import SESSION_LOCK
from tests.support.services import S3Server, Worker

REPO = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/product_management_bench_worker"
VHOST = "product_catalog_bench"
BROKER_URL = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
QUEUES = ("images", "images.DQ", "images.XQ")
REDIS_URL = "redis://127.0.0.1:6379/12"
BUCKET = "bench-images"
#: The test sessions' lock (tests/support/required.py, held for each session by tests/conftest.py).
#: A test session stops RabbitMQ (tests/integration/pipeline/test_faults.py), which cuts the
#: worker off mid-run, and keeps both cores busy; so a run waits for a session to end and holds the
#: lock so none starts meanwhile. A second benchmark run (two `make bench`) waits as well,
#: rather than share our vhost, tables and Redis database and take our jobs.
SERVICES_LOCK = SESSION_LOCK
#: Seconds to wait for that lock: pytest-timeout gives a whole test 300 s.
LOCK_WAIT_S = 150

#: Renditions of one image at the defaults: 4 widths x 3 formats.
RENDITIONS = len(Settings().image_widths) * len(Settings().image_formats)
THREADS = (1, 4)
#: Images per source size, through the worker and the in-process loops alike; multiples of
#: the 4 test photos, so every run has the same mix. A ladder costs about 1 s of CPU whatever
#: the size (JPEG draft mode); the naive loop ~2.8 s per 12 MP source, hence only 4 of those.
DEFAULT_IMAGES = {"2mp": 8, "12mp": 4}
STEPS = ("download", "compress", "upload", "done")


# --- in-process loops ----------------------------------------------------------------------


def time_loop(step: Callable[[bytes, Phases], list[bytes]], sources: Sequence[bytes]) -> dict:
    """CPU and wall seconds per image of ``step`` over ``sources``, in this process (its
    own counters: ``time.process_time``); one untimed image first (plugin imports)."""
    step(sources[0], Phases())
    output_bytes = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for source in sources:
        output_bytes += sum(len(data) for data in step(source, Phases()))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"images": len(sources), "wall_s": wall, "cpu_s": cpu,
            "images_per_s": len(sources) / wall, "images_per_cpu_s": len(sources) / cpu,
            "cpu_ms_per_image": cpu * 1000 / len(sources), "cores": cpu / wall,
            "output_bytes_mean": output_bytes / len(sources)}


# --- services ------------------------------------------------------------------------------


def _amqp() -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(BROKER_URL))


def prepare_broker() -> None:
    """Our vhost, made on first use (rabbitmqctl takes seconds), with no queue left over."""
    try:
        connection = _amqp()
    except pika.exceptions.AMQPConnectionError:
        rabbitmqctl("add_vhost", VHOST).check_returncode()
        rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*").check_returncode()
        connection = _amqp()
    try:
        channel = connection.channel()
        for queue in QUEUES:
            channel.queue_delete(queue)
    finally:
        connection.close()


def _consumers(queue: str) -> int:
    connection = _amqp()
    try:
        # Passive: fails (and the check is retried) until the worker has declared the queue.
        return connection.channel().queue_declare(queue, passive=True).method.consumer_count
    finally:
        connection.close()


@contextmanager
def exclusive_services(path: Path = SERVICES_LOCK, *, timeout: float = LOCK_WAIT_S
                       ) -> Iterator[None]:
    """Hold the test sessions' lock, waiting up to ``timeout`` seconds for it."""
    with open(path, "a") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"a test session (or another benchmark run) still holds {path} after "
                        f"{timeout:.0f} s; run the benchmark when it is over") from None
                time.sleep(0.5)
        yield


@contextmanager
def bench_database() -> Iterator[None]:
    """``models.db`` bound to our emptied database; the previous binding is restored after,
    since another benchmark of the same session may hold it."""
    previous = (db.database, dict(db.connect_params))
    migrate(DATABASE_URL)
    if previous[0]:
        db.close_all()  # pooled connections belong to the old database: drop them first
    bind(DATABASE_URL)
    try:
        db.execute_sql("TRUNCATE users, products, outbox, dead_letters RESTART IDENTITY CASCADE")
        release()
        # Product ids start again at 1: a cached product of an earlier run must not answer.
        redis.Redis.from_url(REDIS_URL).flushdb()
        yield
    finally:
        db.close_all()
        if previous[0]:
            db.init(previous[0], **previous[1])


def worker_env(s3: S3Server, metrics_dir: Path) -> dict[str, str]:
    """As tests/integration/pipeline's worker_env, with every image setting at its default
    (stated, so a developer's .env cannot change what is measured) and no retries, so any
    failure dead-letters at once and the benchmark stops instead of waiting on backoff.
    Dramatiq's Prometheus middleware gets a port and directory of its own: a worker running
    elsewhere on the machine holds 9191 and would share the default directory."""
    settings = Settings(
        database_url=DATABASE_URL, broker_url=BROKER_URL, redis_url=REDIS_URL,
        s3_endpoint=s3.endpoint, s3_bucket=BUCKET, s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key, s3_public_url=f"http://{s3.endpoint}/{BUCKET}",
        image_fetch_allow_private=True, image_max_retries=0,
        api_key_secret="bench-secret")
    return settings_env(settings, dramatiq_prom_host="127.0.0.1",
                        dramatiq_prom_port=str(free_port()), dramatiq_prom_db=str(metrics_dir))


# --- the worker run ------------------------------------------------------------------------


class WorkerLog:
    """Reads the worker's JSON log lines as they are written."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._partial = b""
        self.events: list[dict] = []

    def poll(self) -> list[dict]:
        with open(self._path, "rb") as file:
            file.seek(self._offset)
            chunk = file.read()
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        new = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # the dramatiq CLI's own start-up lines
            if isinstance(record, dict) and "event" in record:
                new.append(record)
        self.events.extend(new)
        return new


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy, all cores together."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _seconds(event: dict) -> float:
    return datetime.fromisoformat(event["timestamp"]).timestamp()


def _insert_products(user_id: int, urls: Sequence[str]) -> list[int]:
    """One product per URL with its image job, in one transaction, as the API writes them;
    one transaction so every job is queued before the first one is measured."""
    try:
        with db.atomic():
            ids = []
            for index, url in enumerate(urls):
                product = create_product(user_id, f"Bench photo {index}", None, [url],
                                         Decimal("10.00"))
                add_image_jobs(product.id, [url], None)
                ids.append(product.id)
        return ids
    finally:
        release()


def _copies_written(product_ids: Sequence[int]) -> tuple[int, int]:
    """How many of the products have the copy URL of every image in PostgreSQL, and how many
    renditions their recorded sets hold together."""
    try:
        rows = db.execute_sql(
            "SELECT array_position(compressed_product_images, NULL) IS NULL, image_media"
            " FROM products WHERE id = ANY(%s)", (list(product_ids),)).fetchall()
    finally:
        release()
    copies = sum(1 for complete, _ in rows if complete)
    renditions = sum(len(record["renditions"]) for _, media in rows for record in media.values())
    return copies, renditions


def peak_rss(pid: int) -> tuple[int, int]:
    """The largest peak resident set (VmHWM, bytes) among a process and its live descendants,
    and their sum (an upper bound on what they held at once)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    peaks = []
    for process in processes:
        try:
            with open(f"/proc/{process.pid}/status") as status:
                peaks += [int(line.split()[1]) * 1024 for line in status
                          if line.startswith("VmHWM:")]
        except FileNotFoundError:
            continue
    return max(peaks, default=0), sum(peaks)


def _wait_done(worker: Worker, log: WorkerLog, product_ids: Sequence[int], *,
               timeout: float) -> dict[int, dict]:
    """The ``done`` event of each product, once all have one; raises on any failure."""
    wanted = set(product_ids)
    done: dict[int, dict] = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(wanted):
        for event in log.poll():
            if event.get("product_id") not in wanted:
                continue
            if event["event"] in ("failed", "dead_lettered", "skipped"):
                raise RuntimeError(f"worker: {event['event']} product {event['product_id']}: "
                                   f"{event.get('reason')}\n{worker.log()[-3000:]}")
            if event["event"] == "done":
                done[event["product_id"]] = event
        if worker.process.poll() is not None:
            raise RuntimeError(f"worker exited with {worker.process.returncode}:\n"
                               f"{worker.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(done)} of {len(wanted)} images done after "
                               f"{timeout:.0f} s:\n{worker.log()[-3000:]}")
        time.sleep(0.02)
    return done


def run_worker(*, threads: int, urls: Sequence[str], warmup_urls: Sequence[str], user_id: int,
               s3: S3Server, log_dir: Path, label: str = "") -> dict:
    """Throughput, CPU and peak memory of one worker process with ``threads`` threads over
    ``urls``."""
    log_path = log_dir / f"worker-{label}-{threads}.log"
    metrics_dir = log_dir / f"metrics-{label}-{threads}"
    metrics_dir.mkdir()
    worker = Worker(worker_env(s3, metrics_dir), log_path=log_path, threads=threads)
    try:
        wait_for(lambda: worker.process.poll() is None and _consumers(QUEUES[0]) > 0,
                 timeout=60, interval=0.2, message=f"worker ({threads} threads) to consume")
        log = WorkerLog(log_path)
        # Warm-up: every thread's first job, through the whole pipeline, outside the figures.
        _wait_done(worker, log, _insert_products(user_id, warmup_urls), timeout=60)

        worker_cpu, s3_cpu = tree_cpu(worker.process.pid), tree_cpu(s3.process.pid)
        own_cpu, machine = time.process_time(), _machine_busy()
        inserted_at = time.time()
        product_ids = _insert_products(user_id, urls)
        # Well inside pytest-timeout's 300 s, so a stuck run reports the worker's log.
        done = _wait_done(worker, log, product_ids, timeout=60 + 2 * len(urls))
        worker_cpu = tree_cpu(worker.process.pid) - worker_cpu
        s3_cpu = tree_cpu(s3.process.pid) - s3_cpu
        own_cpu, machine = time.process_time() - own_cpu, _machine_busy() - machine
        elapsed = time.time() - inserted_at
        rss_max, rss_sum = peak_rss(worker.process.pid)
    finally:
        worker.stop()

    ids = set(product_ids)
    copies_in_db, renditions_in_db = _copies_written(product_ids)
    events = [e for e in log.events if e.get("product_id") in ids]
    downloads = [e for e in events if e["event"] == "download"]
    started = min(_seconds(e) - e["duration_ms"] / 1000 for e in downloads)
    finished = max(_seconds(e) for e in done.values())
    wall = finished - started
    steps = {step: [e["duration_ms"] for e in events if e["event"] == step] for step in STEPS}
    busy = sum(sum(durations) for durations in steps.values()) / 1000
    return {
        "threads": threads,
        "images": len(done),
        "written": sum(1 for e in done.values() if e.get("written")),
        "copies_in_db": copies_in_db,
        "renditions_in_db": renditions_in_db,
        "peak_rss_bytes": rss_max,
        "peak_rss_sum_bytes": rss_sum,
        "wall_s": wall,
        "images_per_s": len(done) / wall,
        "insert_to_done_s": finished - inserted_at,
        "cpu_s": worker_cpu,
        "images_per_cpu_s": len(done) / worker_cpu,
        "cpu_ms_per_image": worker_cpu * 1000 / len(done),
        "cores": worker_cpu / wall,
        # What else ran meanwhile on the same cores: the S3 emulator, this process (image
        # server, log reading) and the rest (PostgreSQL, RabbitMQ, Redis, other load).
        "s3_cpu_s": s3_cpu,
        "harness_cpu_s": own_cpu,
        "other_cpu_s": max(0.0, machine - worker_cpu - s3_cpu - own_cpu),
        "other_cores": max(0.0, machine - worker_cpu - s3_cpu - own_cpu) / elapsed,
        "machine_cores_busy": machine / elapsed,
        "step_ms": {step: statistics.fmean(values) for step, values in steps.items() if values},
        # Share of thread time spent inside the four logged steps; the rest is the actor's
        # envelope: get_product, the broker's delivery and acknowledgement, idle threads.
        "thread_busy": busy / (threads * wall),
        "output_bytes_mean": statistics.fmean(e.get("bytes_out", 0) for e in done.values()),
        "source_bytes_mean": statistics.fmean(e.get("bytes_in", 0) for e in done.values()),
    }


# --- the benchmark -------------------------------------------------------------------------


def measure(*, size: str = "2mp", images: int | None = None,
            threads: Sequence[int] = THREADS) -> dict:
    """CPU per source image and images per second of the worker (one process, each of
    ``threads``), of the naive loop and of ``render_ladder`` alone, on ``images`` sources of
    ``size`` (a key of :data:`benchmarks.sources.SIZES`), with the ratios.

    ``cpu_vs_naive`` is the worker's CPU per image over the naive loop's, per thread count:
    below 1 means the worker spends less CPU on an image than the naive loop, whatever the
    threads and whatever else runs on the machine. ``ratio`` compares images/s (the worker's
    threads may use more than the loop's one core); ``ratio_one_thread`` one thread with one.
    """
    with exclusive_services():
        return _measure(size=size, images=images or DEFAULT_IMAGES[size], threads=threads)


@contextmanager
def _pipeline_services() -> Iterator[tuple[ImageServer, S3Server, int, Path]]:
    """Our broker vhost, database and Redis database emptied, an image server, an S3 server,
    a user, and a temporary directory for the workers' logs."""
    with ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-worker-")))
        prepare_broker()
        stack.enter_context(bench_database())
        user = create_user("Bench", "bench@example.com", os.urandom(32))
        release()
        server = ImageServer()
        stack.callback(server.close)
        s3 = S3Server()
        stack.callback(s3.stop)
        yield server, s3, user.id, log_dir


def _serve(server: ImageServer, sources: Sequence[bytes], prefix: str) -> list[str]:
    return [server.add(f"{prefix}{i}.jpg", data, "image/jpeg") for i, data in enumerate(sources)]


def _measure(*, size: str, images: int, threads: Sequence[int]) -> dict:
    """:func:`measure`, once the services are ours."""
    warmup = max(threads)
    sources = make_sources(SIZES[size], images + warmup)
    measured, spare = sources[:images], sources[images:]
    loops = {"naive": time_loop(naive, measured), "render_ladder": time_loop(whole, measured)}

    runs: dict[int, dict] = {}
    with _pipeline_services() as (server, s3, user_id, log_dir):
        urls, warm = _serve(server, measured, "m"), _serve(server, spare, "w")
        for count in threads:
            runs[count] = run_worker(threads=count, urls=urls, warmup_urls=warm[:count],
                                     user_id=user_id, s3=s3, log_dir=log_dir, label=size)

    base = loops["naive"]
    best = max(runs.values(), key=lambda run: run["images_per_s"])
    return {
        "size": size,
        "images": images,
        "source": f"{SIZES[size][0]}x{SIZES[size][1]} JPEG q90",
        "source_bytes_mean": statistics.fmean(len(s) for s in measured),
        "cores": len(os.sched_getaffinity(0)),
        "naive": base,
        "render_ladder": loops["render_ladder"],
        "worker": runs,
        "best_threads": best["threads"],
        "ratio": best["images_per_s"] / base["images_per_s"],
        "cpu_vs_naive": {t: run["cpu_ms_per_image"] / base["cpu_ms_per_image"]
                         for t, run in runs.items()},
        "ratio_one_thread": runs[1]["images_per_s"] / base["images_per_s"] if 1 in runs
        else None,
    }


def measure_memory(*, images: int = 8, threads: int = 4, size: str = "50mp") -> dict:
    """Peak memory of one worker process with ``threads`` threads over ``images`` sources of
    ``size`` (IMAGE_MAX_PIXELS's 50 million by default): every thread busy with one at once."""
    with exclusive_services():
        sources = make_sources(SIZES[size], images + threads)
        with _pipeline_services() as (server, s3, user_id, log_dir):
            run = run_worker(threads=threads, urls=_serve(server, sources[:images], "m"),
                             warmup_urls=_serve(server, sources[images:], "w"),
                             user_id=user_id, s3=s3, log_dir=log_dir, label=size)
    return {**run, "size": size, "source": f"{SIZES[size][0]}x{SIZES[size][1]} JPEG q90",
            "source_bytes_mean": statistics.fmean(len(s) for s in sources[:images])}


STEPS_HEADER = [
    "| source | threads | download | compress | upload | done | thread busy "
    "| S3 server CPU ms/image | other load (cores) | machine busy (cores) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]


def _steps_row(label: str, threads: int, run: dict) -> str:
    step = run["step_ms"]
    return (f"| {label} | {threads} | " + " | ".join(f"{step.get(name, 0):.1f}" for name in STEPS)
            + f" | {run['thread_busy']:.0%} | {run['s3_cpu_s'] * 1000 / run['images']:.1f} "
            f"| {run['other_cores']:.2f} | {run['machine_cores_busy']:.2f} |")


def format_table(results: Sequence[dict]) -> str:
    """The figures of :func:`measure` results as Markdown: CPU and throughput, then the
    worker's steps.

    "cores" is CPU time over wall time: ~1.0 for the naive loop unless someone else's load
    preempted it; above 1 for render_ladder, whose AVIF encoder runs threads of its own; up to
    the core count for a worker whose threads run in Pillow without the GIL.
    """
    lines = [
        "| source | what | threads | CPU ms/image | CPU / naive's | images/s | cores "
        "| peak RSS MB | images/s / naive's |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        base = result["naive"]
        rows = [("naive loop, 12 renditions", "1", base),
                ("render_ladder", "1", result["render_ladder"])]
        rows += [(f"worker{' (best)' if t == result['best_threads'] else ''}", str(t), run)
                 for t, run in result["worker"].items()]
        for name, threads, figures in rows:
            rss = figures.get("peak_rss_bytes")
            lines.append(
                f"| {result['size']} | {name} | {threads} | {figures['cpu_ms_per_image']:.0f} "
                f"| {figures['cpu_ms_per_image'] / base['cpu_ms_per_image']:.2f} "
                f"| {figures['images_per_s']:.2f} | {figures['cores']:.2f} "
                f"| {'' if rss is None else f'{rss / 2**20:.0f}'} "
                f"| {figures['images_per_s'] / base['images_per_s']:.2f} |")
    lines += ["", "Worker steps, mean ms per image (as logged), and what else used the cores "
              "meanwhile:", "", *STEPS_HEADER]
    for result in results:
        for threads, run in result["worker"].items():
            lines.append(_steps_row(result["size"], threads, run))
    lines.append("")
    for result in results:
        lines.append(
            f"- {result['size']}: {result['images']} sources {result['source']}, mean "
            f"{result['source_bytes_mean'] / 1e6:.2f} MB, renditions "
            f"{result['render_ladder']['output_bytes_mean'] / 1e3:.0f} kB per image in all; "
            f"best worker: threads={result['best_threads']}; {result['cores']} cores")
    return "\n".join(lines)


def format_memory(run: dict) -> str:
    """The figures of :func:`measure_memory` as Markdown."""
    return "\n".join([
        "| source | threads | images | peak RSS, largest process MB | sum of the processes' "
        "peaks MB | CPU ms/image | images/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {run['source']}, mean {run['source_bytes_mean'] / 2**20:.1f} MiB | {run['threads']} "
        f"| {run['images']} | {run['peak_rss_bytes'] / 2**20:.0f} "
        f"| {run['peak_rss_sum_bytes'] / 2**20:.0f} | {run['cpu_ms_per_image']:.0f} "
        f"| {run['images_per_s']:.2f} |",
        "", *STEPS_HEADER, _steps_row(run["size"], run["threads"], run)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, help=f"sources per size; default {DEFAULT_IMAGES}")
    parser.add_argument("--size", choices=sorted(DEFAULT_IMAGES), action="append",
                        help="source size (repeatable); default both")
    parser.add_argument("--threads", type=int, action="append",
                        help=f"worker threads (repeatable); default {THREADS}")
    parser.add_argument("--memory", action="store_true",
                        help="also the peak memory with 4 threads on 50 MP sources")
    args = parser.parse_args()
    results = [measure(size=size, images=args.images, threads=tuple(args.threads or THREADS))
               for size in args.size or sorted(DEFAULT_IMAGES)]
    print(format_table(results))
    if args.memory:
        print(format_memory(measure_memory()))


if __name__ == "__main__":
    main()
