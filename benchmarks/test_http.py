"""HTTP benchmarks of ``make bench``: reads with and without the cache, listing, creating.

Two API instances run on the same gunicorn config over the seeded benchmark database: one
with the cache, one with ``CACHE_ENABLED=false`` so that every read reaches PostgreSQL (an
"uncached" loop against a cached instance would refill the cache after its first request).
The read ratios come from wrk in interleaved rounds (see :mod:`benchmarks.http_load`);
Locust drives the list, create and mixed scenarios and reports its own CPU use. Granian runs
the same app beside gunicorn for comparison. Nothing asserts a speed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import requests

from benchmarks import report
from benchmarks.http_load import interleaved, locust
from core.settings import Settings
from models.db import db, release
from tests.support.bench_database import BENCH_API_KEY_SECRET, BenchDatabase
from tests.support.environment import settings_env
from tests.support.processes import REPO, ApiServer, free_port, wait_for

REDIS_URL = "redis://127.0.0.1:6379/11"
# 64 connections: gunicorn's gthread processes race for each new connection, and with 16
# one process often won them all (seen 16/0 with ss), halving that round's figure at random.
ROUNDS, SECONDS, CONNECTIONS = 3, 5, 64
LOCUST_SECONDS = 15


class GranianServer:
    """The same WSGI app under Granian (2 processes, 4 blocking threads each)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        import os

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "granian"), "--interface", "wsgi",
             "--workers", "2", "--blocking-threads", "4", "--host", "127.0.0.1",
             "--port", str(self.port), "api.wsgi:app"],
            cwd=REPO, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT)
        wait_for(lambda: requests.get(self.url + "/healthz", timeout=1).ok, timeout=30,
                 message="granian")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self._log.close()


@pytest.fixture
def instances(bench_database: BenchDatabase, tmp_path):
    redis.Redis.from_url(REDIS_URL).flushdb()
    # The limits are off (0): the benchmark writes with one key far faster than they allow.
    env = settings_env(Settings(database_url=bench_database.url, redis_url=REDIS_URL,
                                api_key_secret=BENCH_API_KEY_SECRET, log_level="WARNING",
                                rate_limit_writes_per_minute=0,
                                rate_limit_signups_per_minute=0))
    cached = ApiServer(env, workers=2, threads=4, log_path=tmp_path / "cached.log")
    uncached = ApiServer({**env, "CACHE_ENABLED": "false"}, workers=2, threads=4,
                         log_path=tmp_path / "uncached.log")
    granian = (GranianServer(env, tmp_path / "granian.log")
               if shutil.which("granian", path=str(Path(sys.executable).parent)) else None)
    newest = db.execute_sql("SELECT max(id) FROM products").fetchone()[0]
    release()
    yield cached, uncached, granian, newest
    for server in (cached, uncached, granian):
        if server is not None:
            server.stop()
    # What the create scenarios added goes, so every run starts from the same data.
    db.execute_sql("DELETE FROM products WHERE id > %s", (newest,))
    db.execute_sql("DELETE FROM outbox")
    release()


def test_http(benchmark, bench_database: BenchDatabase, instances, tmp_path) -> None:
    cached, uncached, granian, newest = instances
    product = f"/products/{newest}"
    for server in (cached, uncached):
        assert requests.get(server.url + product, timeout=5).status_code == 200

    def run() -> None:
        targets = {"/healthz": cached.url + "/healthz",
                   "cached read": cached.url + product,
                   "uncached read": uncached.url + product}
        if granian is not None:
            targets["/healthz (granian)"] = granian.url + "/healthz"
            targets["cached read (granian)"] = granian.url + product
        for name, figures in interleaved(targets, rounds=ROUNDS, seconds=SECONDS,
                                         connections=CONNECTIONS).items():
            report.ROWS[name] = {**figures, "tool": f"wrk -c{CONNECTIONS}, median of "
                                                    f"{ROUNDS}: {figures['rounds']}"}
        env = {"LOCUST_USER_ID": str(bench_database.user_id),
               "LOCUST_API_KEY": bench_database.api_key,
               "LOCUST_PRODUCT_IDS": _product_range()}
        for scenario, users, names in (
            ("ListUser", 8, None),
            ("CreateUser", 4, ("create (no images)", "create (10 images)")),
            ("MixedUser", 16, ("Aggregated",)),
        ):
            result = locust(cached.url, scenario, users=users, seconds=LOCUST_SECONDS, env=env,
                            csv_prefix=tmp_path / scenario)
            stats = result["stats"]
            picked = names or ("Aggregated",)
            for name in picked:
                label = {"ListUser": "list (8 clients)", "MixedUser": "mixed (16 clients)"}.get(
                    scenario, name)
                report.ROWS[label] = {**stats[name], "tool": f"locust -u {users}, "
                                      f"its CPU {result['locust_cpu_percent']} %"}

    benchmark.pedantic(run, rounds=1, iterations=1)

    report.goal("cached read rps / /healthz rps", report.ratio("cached read", "/healthz"),
                at_least=0.8)
    report.goal("uncached read rps / /healthz rps", report.ratio("uncached read", "/healthz"),
                at_least=0.3)
    cached_over_uncached = report.ratio("cached read", "uncached read")
    if cached_over_uncached is not None:
        report.FIGURES["cached read rps / uncached read rps"] = f"{cached_over_uncached:.2f}"
    report.goal("list p95 ms, 8 clients", report.ROWS["list (8 clients)"]["p95"],
                at_most=20, unit=" ms")
    report.goal("create with 10 images p95 / create with none p95",
                report.ratio("create (10 images)", "create (no images)", "p95"), at_most=1.2)
    if granian is not None:
        report.FIGURES["granian / gunicorn, cached read rps"] = (
            f"{report.ratio('cached read (granian)', 'cached read'):.2f}")
    for name, row in report.ROWS.items():
        assert row.get("failures", 0) == 0, f"{name}: {row['failures']} failures"


def _product_range() -> str:
    low, high = db.execute_sql("SELECT min(id), max(id) FROM products").fetchone()
    release()
    return f"{low}-{high}"
