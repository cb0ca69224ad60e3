"""``GET /products/{id}`` of a product with 10 ready images (120 renditions) against one with
none (issue 11): CPU per request of the API process, from its own counters, in one run.

Both products are written straight into the benchmark database: the one with images gets, per
source URL, the rendition set the worker records (:func:`models.media.media_record`: 4 widths
x AVIF, WebP and JPEG, placeholder, srcset, revision), through the worker's own
conditional write (:func:`models.products.write_copy`). An API instance with
``CACHE_ENABLED=false`` (2 gunicorn processes x 4 threads, as test_http.py) then serves both;
wrk loads each in interleaved rounds, and the CPU time of the gunicorn process tree (psutil:
the kernel's counters of each process) over each wrk run, divided by the requests wrk counted,
is that round's CPU per request. The median round is reported. The same is measured on a
cached instance, where either read is one Redis GET of the stored bytes. The goal: uncached,
the product with images costs at most 1.5x the CPU of the one without.

Run: ``.venv/bin/python -m pytest benchmarks/test_product_read.py --benchmark-only -s``.
"""

from __future__ import annotations

import hashlib
import statistics
from decimal import Decimal

import pytest
import redis
import requests

from benchmarks import report
from benchmarks.http_load import wrk
from benchmarks.worker_throughput import exclusive_services, tree_cpu
from core.settings import Settings
from models.db import db, release
from models.media import media_record
from models.products import create_product, write_copy
from tests.support.bench_database import BENCH_API_KEY_SECRET, BenchDatabase
from tests.support.environment import settings_env
from tests.support.processes import ApiServer

REDIS_URL = "redis://127.0.0.1:6379/10"
ROUNDS, SECONDS, CONNECTIONS = 5, 3, 64
IMAGES = 10
WIDTHS, FORMATS = (1600, 1024, 640, 320), ("avif", "webp", "jpeg")
EXTENSIONS = {"avif": "avif", "webp": "webp", "jpeg": "jpg"}
PUBLIC = "http://127.0.0.1:9000/product-images"


def _record(product_id: int, index: int) -> tuple[str, dict]:
    """The copy URL and the rendition set of a 4032x3024 source, as the worker records it."""
    renditions = []
    for fmt in FORMATS:
        for width in WIDTHS:
            digest = hashlib.sha256(f"{product_id}/{index}/{fmt}/{width}".encode()).hexdigest()
            key = f"products/{product_id}/{digest}.{EXTENSIONS[fmt]}"
            renditions.append({"format": fmt, "width": width, "height": width * 3 // 4,
                               "bytes": 40_000 + width * 60, "url": f"{PUBLIC}/{key}"})
    record = media_record(
        width=4032, height=3024,
        placeholder={"blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "dominant_color": "#7a6e5c"},
        renditions=renditions, revision="r1-bench0123456789", required_format="jpeg")
    return record["copy"], record


def _products(user_id: int) -> tuple[int, int]:
    """A product with IMAGES ready images and one with none; their ids."""
    try:
        urls = [f"https://images.example.com/catalog/item-{index}.jpg" for index in range(IMAGES)]
        with db.atomic():
            with_images = create_product(user_id, "Bench read, ten images", "A lamp.", urls,
                                         Decimal("49.90"))
            for index, url in enumerate(urls):
                copy, record = _record(with_images.id, index)
                assert write_copy(with_images.id, url, copy, record)
            without = create_product(user_id, "Bench read, no images", "A lamp.", [],
                                     Decimal("49.90"))
        return with_images.id, without.id
    finally:
        release()


@pytest.fixture
def servers(bench_database: BenchDatabase, tmp_path):
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = settings_env(Settings(database_url=bench_database.url, redis_url=REDIS_URL,
                                api_key_secret=BENCH_API_KEY_SECRET, log_level="WARNING"))
    ids = _products(bench_database.user_id)
    uncached = ApiServer({**env, "CACHE_ENABLED": "false"}, workers=2, threads=4,
                         log_path=tmp_path / "uncached.log")
    cached = ApiServer(env, workers=2, threads=4, log_path=tmp_path / "cached.log")
    yield uncached, cached, ids
    for server in (uncached, cached):
        server.stop()
    # Gone again, so test_http's "newest product" and every later run see the same data.
    db.execute_sql("DELETE FROM products WHERE id = ANY(%s)", (list(ids),))
    release()


def _cpu_per_request(targets: dict[str, tuple[ApiServer, str]]) -> dict[str, dict]:
    """Interleaved wrk rounds; per target the median round's CPU us per request and rps."""
    for _server, url in targets.values():
        wrk(url, seconds=2, connections=CONNECTIONS)  # every thread's connections, warm
    rounds: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (server, url) in targets.items():
            before = tree_cpu(server.process.pid)
            run = wrk(url, seconds=SECONDS, connections=CONNECTIONS)
            cpu = tree_cpu(server.process.pid) - before
            rounds[name].append({**run, "cpu_us": cpu * 1e6 / run["requests"]})
    summary: dict[str, dict] = {"rounds": rounds}
    for name, runs in rounds.items():
        middle = statistics.median(run["cpu_us"] for run in runs)
        summary[name] = {"cpu_us": middle, "rounds_cpu_us": [round(r["cpu_us"]) for r in runs],
                         "rps": statistics.median(run["rps"] for run in runs),
                         "failures": sum(run["failures"] for run in runs)}
    return summary


def test_product_read(benchmark, servers, capsys) -> None:
    uncached, cached, (with_images, without) = servers
    sizes = {}
    for name, product_id in (("10 images", with_images), ("no images", without)):
        response = requests.get(f"{uncached.url}/products/{product_id}", timeout=5)
        assert response.status_code == 200 and response.headers["X-Cache"] == "MISS"
        images = response.json()["images"]
        assert sum(len(image["renditions"]) for image in images) == (
            IMAGES * len(WIDTHS) * len(FORMATS) if product_id == with_images else 0)
        sizes[name] = len(response.content)
        # Fill the cached instance's entry, so its rounds are all hits.
        requests.get(f"{cached.url}/products/{product_id}", timeout=5)
        assert requests.get(f"{cached.url}/products/{product_id}",
                            timeout=5).headers["X-Cache"] == "HIT"

    targets = {
        "uncached, 10 images": (uncached, f"{uncached.url}/products/{with_images}"),
        "uncached, no images": (uncached, f"{uncached.url}/products/{without}"),
        "cached, 10 images": (cached, f"{cached.url}/products/{with_images}"),
        "cached, no images": (cached, f"{cached.url}/products/{without}"),
    }
    # The test sessions' lock, as the worker benchmark holds it: a test session on the same
    # two cores raises every figure here, and not all alike.
    with exclusive_services():
        result = benchmark.pedantic(lambda: _cpu_per_request(targets), rounds=1, iterations=1)
    rounds = result.pop("rounds")
    for name, figures in result.items():
        assert figures["failures"] == 0, f"{name}: {figures['failures']} failures"
    benchmark.extra_info.update({"figures": result, "response_bytes": sizes})

    def ratio(kind: str) -> float:
        """The median of the rounds' ratios: each round reads both products back to back, so
        a burst of other load is more likely to hit both of one round than both medians."""
        return statistics.median(
            with_ / without_["cpu_us"] for with_, without_ in zip(
                (run["cpu_us"] for run in rounds[f"{kind}, 10 images"]),
                rounds[f"{kind}, no images"], strict=True))

    uncached_ratio, cached_ratio = ratio("uncached"), ratio("cached")
    report.goal("uncached GET product CPU/request, 10 images (120 renditions) / none",
                uncached_ratio, at_most=1.5)
    report.FIGURES["cached GET product CPU/request, 10 images / none (one Redis GET each)"] = (
        f"{cached_ratio:.2f}")
    with capsys.disabled():
        print(f"\n\nGET /products/{{id}}, API CPU per request (gunicorn 2 x 4 threads, wrk "
              f"-c{CONNECTIONS}, {ROUNDS} interleaved rounds of {SECONDS} s, median)\n")
        print("| read | CPU us/request | rounds (us) | requests/s | response bytes |")
        print("| --- | ---: | --- | ---: | ---: |")
        for name, figures in result.items():
            print(f"| {name} | {figures['cpu_us']:.0f} | {figures['rounds_cpu_us']} "
                  f"| {figures['rps']:,.0f} | {sizes[name.split(', ')[1]]:,} |")
        print(f"\nmedian of the rounds' ratios, 10 images / none: uncached {uncached_ratio:.2f}, "
              f"cached {cached_ratio:.2f}")
