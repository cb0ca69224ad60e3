"""CPU time per request and per image (issue 12), from the processes' own counters over a
fixed number of requests and images: see :mod:`benchmarks.cpu_costs`.

The table is printed (by ``make bench`` too, not only with ``-s``), added to the session's
report (docs/bench-latest.md), and written to docs/bench-costs.md with the raw figures in
docs/bench-costs.json, which ``python -m benchmarks.cpu_costs compare`` reads. Nothing
asserts a cost: what is asserted is that the requests measured were the ones meant (every
status 2xx, every cached read a hit, every uncached read a miss) and every image processed.

Run: ``.venv/bin/python -m pytest benchmarks/test_cpu_costs.py --benchmark-only``.
"""

from __future__ import annotations

import fcntl
import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from benchmarks import report
from benchmarks.cpu_costs import REQUESTS, ROUNDS, WORKER_IMAGES, Catalog, format_table, measure
from benchmarks.worker_throughput import SERVICES_LOCK
from models.db import db, release
from tests.support.bench_database import BENCH_API_KEY_SECRET, BenchDatabase
from tests.support.required import require_service


@contextmanager
def _services_lock(timeout: int) -> Iterator[None]:
    """The test sessions' lock, as :func:`benchmarks.worker_throughput.exclusive_services`
    takes it, but waiting in the kernel's queue: polling with LOCK_NB lost it every time to
    sessions that block on it, while other sessions ran back to back (seen for 7 min)."""

    def give_up(signum, frame) -> None:  # noqa: ANN001
        raise TimeoutError(f"a test session still holds {SERVICES_LOCK} after {timeout} s")

    with open(SERVICES_LOCK, "a") as lock:
        previous = signal.signal(signal.SIGALRM, give_up)
        signal.alarm(timeout)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        yield

LOCK_WAIT_S = 450
COSTS_MD = report.DOCS / "bench-costs.md"
COSTS_JSON = report.DOCS / "bench-costs.json"


@pytest.fixture
def catalog(bench_database: BenchDatabase):
    ids = [row[0] for row in db.execute_sql(
        "SELECT id FROM products WHERE user_id = %s ORDER BY id",
        (bench_database.user_id,)).fetchall()]
    newest = db.execute_sql("SELECT max(id) FROM products").fetchone()[0]
    release()
    yield Catalog(bench_database.user_id, bench_database.api_key, tuple(ids))
    # The creates go, so every run (and test_http's "newest product") sees the same data.
    db.execute_sql("DELETE FROM outbox")
    db.execute_sql("DELETE FROM products WHERE id > %s", (newest,))
    release()


@pytest.mark.timeout(900)
def test_cpu_costs(benchmark, bench_database: BenchDatabase, catalog: Catalog, capsys) -> None:
    for service in ("Redis", "RabbitMQ"):
        require_service(service)
    # The test sessions' lock, as the other benchmarks hold it: a test session on the same
    # two cores would be in no counter here, but it slows everything and stops RabbitMQ.
    # Up to LOCK_WAIT_S for it: this test's own timeout leaves room for that and the ~4 min run.
    with _services_lock(LOCK_WAIT_S):
        result = benchmark.pedantic(
            lambda: measure(catalog, bench_database.url, BENCH_API_KEY_SECRET),
            rounds=1, iterations=1)

    for kind, figures in result["requests"].items():
        assert figures["bad"] == 0, f"{kind}: {figures['bad']} responses not 2xx"
        assert figures["sent"] >= REQUESTS[kind], kind
    answered = sum(run["answered"] for run in result["rounds"]["cached read"])
    assert result["requests"]["cached read"]["hits"] == answered
    answered = sum(run["answered"] for run in result["rounds"]["uncached read"])
    assert result["requests"]["uncached read"]["misses"] == answered
    [images] = result["images"].values()
    assert images["sent"] == WORKER_IMAGES

    table = format_table(result)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    heading = (f"CPU time per request and per image, from the processes' own counters "
               f"(median of {ROUNDS} interleaved rounds; {stamp}; {result['seconds']:.0f} s)")
    report.SECTIONS.append(f"## {heading}\n\n{table}")
    COSTS_MD.write_text(f"# CPU cost per unit of work (`make bench`, issue 12)\n\n"
                        f"Machine: {report.machine()}. Method: benchmarks/cpu_costs.py.\n\n"
                        f"{heading}\n\n{table}\n")
    COSTS_JSON.write_text(json.dumps({k: v for k, v in result.items() if "rounds" not in k},
                                     indent=1) + "\n")
    benchmark.extra_info.update({"requests": result["requests"], "images": result["images"],
                                 "storage": {**result["storage"], **result["image_storage"]}})
    with capsys.disabled():
        print(f"\n\n{heading}\n\n{table}")
