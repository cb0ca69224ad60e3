"""Image worker throughput (issue: images per second through one worker process against a
bare Pillow loop, goal ratio >= 0.8; and images per CPU-second for JPEG and WebP output).

Each format is one pytest-benchmark round of :func:`benchmarks.worker_throughput.measure`:
the bare Pillow loop, ``compress_image`` alone, then one worker process with 1, 2 and 4
threads, all on the same 2000x1500 JPEG sources. pytest-benchmark's own time is that whole
round, which means little; the figures are in the printed table and in ``extra_info``
(``--benchmark-json``). Nothing asserts a speed: benchmarks report, and a loaded machine must
not fail the build. What is asserted is that every image was processed and written.

Run with ``make bench`` or
``.venv/bin/pytest benchmarks/test_worker_throughput.py --benchmark-only -s -q``.
"""

from __future__ import annotations

import os

import pytest

from benchmarks import report
from benchmarks.worker_throughput import DEFAULT_IMAGES, format_table, measure
from tests.support.required import require_service


@pytest.mark.parametrize("output_format", ["jpeg", "webp"])
def test_worker_throughput(benchmark, output_format: str, capsys) -> None:
    for service in ("PostgreSQL", "Redis", "RabbitMQ"):
        require_service(service)
    images = DEFAULT_IMAGES[output_format]
    load_before = os.getloadavg()

    result = benchmark.pedantic(
        lambda: measure(images=images, output_format=output_format), rounds=1, iterations=1)

    for threads, run in result["worker"].items():
        assert run["images"] == images, f"{threads} threads: {run['images']} of {images} done"
        assert run["written"] == images, f"{threads} threads: {run['written']} copies written"
        assert run["copies_in_db"] == images, f"{threads} threads: {run['copies_in_db']} in db"

    benchmark.extra_info.update({
        "format": output_format,
        "images": images,
        "source": result["source"],
        "cores": result["cores"],
        "load_average_before": load_before,
        "bare_images_per_s": round(result["bare_images_per_s"], 2),
        "compress_images_per_s": round(result["compress_images_per_s"], 2),
        "worker_images_per_s": {t: round(r["images_per_s"], 2)
                                for t, r in result["worker"].items()},
        "worker_images_per_cpu_s": {t: round(r["images_per_cpu_s"], 2)
                                    for t, r in result["worker"].items()},
        "worker_cores": {t: round(r["cores"], 2) for t, r in result["worker"].items()},
        "other_load_cores": {t: round(r["other_cores"], 2) for t, r in result["worker"].items()},
        "worker_step_ms": {t: {k: round(v, 1) for k, v in r["step_ms"].items()}
                           for t, r in result["worker"].items()},
        "best_threads": result["best_threads"],
        "ratio": round(result["ratio"], 3),
        "ratio_per_cpu": round(result["ratio_per_cpu"], 3),
        "ratio_one_thread": round(result["ratio_one_thread"], 3),
    })
    four = result["worker"].get(4)
    if four is not None:
        report.goal(f"worker images/s (1 process x 4 threads) / bare Pillow loop, {output_format}",
                    four["images_per_s"] / result["bare_images_per_s"], at_least=0.8)
    report.goal(f"worker images per CPU-second / bare loop's, {output_format}",
                result["ratio_per_cpu"], at_least=0.8)
    report.FIGURES[f"worker / bare loop, 1 thread, {output_format}"] = (
        f"{result['ratio_one_thread']:.2f}")
    report.FIGURES[f"images per CPU-second, worker, {output_format}"] = (
        f"{result['worker'][result['best_threads']]['images_per_cpu_s']:.1f}")
    with capsys.disabled():  # shown by `make bench` too, not only with -s
        print(f"\n\nWorker throughput, {output_format} output (load average before: "
              f"{', '.join(f'{value:.2f}' for value in load_before)})\n")
        print(format_table([result]))
