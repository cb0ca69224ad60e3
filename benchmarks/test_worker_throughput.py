"""Image worker throughput and CPU per source image with the rendition ladder (issues 4, 5 and
11): one worker process against a naive Pillow loop that makes the same 12 renditions, and the
worker's peak memory on 50 MP sources.

Each source size is one pytest-benchmark round of :func:`benchmarks.worker_throughput.measure`:
the naive loop, ``render_ladder`` alone, then one worker process with 1 and 4 threads, all on
the same JPEG sources (2 MP and 12 MP). :func:`~benchmarks.worker_throughput.measure_memory`
runs one worker with 4 threads on 50 MP sources. pytest-benchmark's own time is that whole
round, which means little; the figures are in the printed tables and in ``extra_info``
(``--benchmark-json``). Nothing asserts a speed: benchmarks report, and a loaded machine must
not fail the build. What is asserted is that every image was processed and its 12 renditions
recorded.

Run with ``make bench`` or
``.venv/bin/pytest benchmarks/test_worker_throughput.py --benchmark-only -s -q``.
"""

from __future__ import annotations

import os

import pytest

from benchmarks import report
from benchmarks.worker_throughput import (
    DEFAULT_IMAGES,
    RENDITIONS,
    format_memory,
    format_table,
    measure,
    measure_memory,
)
from tests.support.required import require_service

#: The machine every kind of this workplace has (2 cores, 24 GiB): the worker must fit it.
MACHINE_BYTES = 24 * 2**30


def _require_services() -> None:
    for service in ("PostgreSQL", "Redis", "RabbitMQ"):
        require_service(service)


def _assert_complete(run: dict, images: int, label: str) -> None:
    assert run["images"] == images, f"{label}: {run['images']} of {images} done"
    assert run["written"] == images, f"{label}: {run['written']} sets written"
    assert run["copies_in_db"] == images, f"{label}: {run['copies_in_db']} in db"
    assert run["renditions_in_db"] == images * RENDITIONS, (
        f"{label}: {run['renditions_in_db']} renditions recorded, not {images} x {RENDITIONS}")


@pytest.mark.parametrize("size", ["2mp", "12mp"])
def test_worker_throughput(benchmark, size: str, capsys) -> None:
    _require_services()
    images = DEFAULT_IMAGES[size]
    load_before = os.getloadavg()

    result = benchmark.pedantic(lambda: measure(size=size, images=images), rounds=1,
                                iterations=1)

    for threads, run in result["worker"].items():
        _assert_complete(run, images, f"{threads} threads")

    benchmark.extra_info.update({
        "size": size,
        "images": images,
        "source": result["source"],
        "cores": result["cores"],
        "load_average_before": load_before,
        "naive_cpu_ms_per_image": round(result["naive"]["cpu_ms_per_image"], 1),
        "render_ladder_cpu_ms_per_image": round(result["render_ladder"]["cpu_ms_per_image"], 1),
        "worker_cpu_ms_per_image": {t: round(r["cpu_ms_per_image"], 1)
                                    for t, r in result["worker"].items()},
        "worker_images_per_s": {t: round(r["images_per_s"], 2)
                                for t, r in result["worker"].items()},
        "worker_cores": {t: round(r["cores"], 2) for t, r in result["worker"].items()},
        "worker_peak_rss_mb": {t: round(r["peak_rss_bytes"] / 2**20)
                               for t, r in result["worker"].items()},
        "other_load_cores": {t: round(r["other_cores"], 2) for t, r in result["worker"].items()},
        "worker_step_ms": {t: {k: round(v, 1) for k, v in r["step_ms"].items()}
                           for t, r in result["worker"].items()},
        "cpu_vs_naive": {t: round(v, 3) for t, v in result["cpu_vs_naive"].items()},
        "ratio": round(result["ratio"], 3),
        "ratio_one_thread": round(result["ratio_one_thread"], 3),
    })
    label = f"{size} ({result['source'].split()[0]})"
    one = result["cpu_vs_naive"][1]
    if size == "12mp":
        report.goal(f"worker CPU per image (1 thread) / naive loop's, {label}", one,
                    at_most=0.45)
    else:
        report.FIGURES[f"worker CPU per image (1 thread) / naive loop's, {label}"] = f"{one:.2f}"
    four = result["worker"].get(4)
    if four is not None:
        report.FIGURES[f"worker images/s (4 threads) / naive loop's, {label}"] = (
            f"{four['images_per_s'] / result['naive']['images_per_s']:.2f}")
        report.FIGURES[f"worker CPU ms per image (4 threads), {label}"] = (
            f"{four['cpu_ms_per_image']:.0f}")
    with capsys.disabled():  # shown by `make bench` too, not only with -s
        print(f"\n\nWorker, rendition ladder, {result['source']} sources (load average before: "
              f"{', '.join(f'{value:.2f}' for value in load_before)})\n")
        print(format_table([result]))


def test_worker_memory(benchmark, capsys) -> None:
    _require_services()
    images = 8
    run = benchmark.pedantic(lambda: measure_memory(images=images, threads=4), rounds=1,
                             iterations=1)
    _assert_complete(run, images, "50 MP, 4 threads")
    benchmark.extra_info.update({"peak_rss_mb": round(run["peak_rss_bytes"] / 2**20),
                                 "peak_rss_sum_mb": round(run["peak_rss_sum_bytes"] / 2**20)})
    # Everything the worker's processes ever held at once is at most the sum of their peaks.
    report.goal("worker peak RSS, 4 threads, 50 MP sources / 24 GiB",
                run["peak_rss_sum_bytes"] / MACHINE_BYTES, at_most=1.0)
    report.FIGURES["worker peak RSS MB, 4 threads, 50 MP sources"] = (
        f"{run['peak_rss_bytes'] / 2**20:.0f}")
    with capsys.disabled():
        print(f"\n\nWorker peak memory, {run['source']} sources, 4 threads\n")
        print(format_memory(run))
