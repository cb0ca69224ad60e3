"""The rendition ladder in-process (issue 11): CPU per source image against a naive Pillow loop
and libvips, and bytes and SSIM of AVIF and WebP against JPEG.

No service is needed. The pyvips part fails, never skips, when pyvips or libvips is missing
(:func:`benchmarks.ladder_cost.require_pyvips` says what to install). Nothing asserts a
speed; the goals go to the ``make bench`` table. About a minute for the CPU figures and 40 s
for the bytes.

Run: ``.venv/bin/python -m pytest benchmarks/test_ladder.py --benchmark-only -s``.
"""

from __future__ import annotations

import pytest

from benchmarks import ladder_cost, ladder_quality, report
from benchmarks.sources import SIZES, make_sources, photo_paths

#: Sources per size: one of each test photo (the naive loop costs ~3 s of CPU per 12 MP one).
SOURCES = {"2mp": 4, "12mp": 4}


@pytest.mark.parametrize("size", ["2mp", "12mp"])
def test_ladder_cpu(benchmark, size: str, capsys) -> None:
    ladder_cost.require_pyvips()  # before the minute of work, not after it
    sources = make_sources(SIZES[size], SOURCES[size])
    result = benchmark.pedantic(lambda: ladder_cost.measure(sources, passes=1), rounds=1,
                                iterations=1)
    figures = ladder_cost.summary(result)
    # The parts add up to render_ladder (the kept-source check is the rest).
    assert abs(figures["render_ladder_cpu"] - figures["ours_cpu"]) < 0.25 * figures["ours_cpu"]
    benchmark.extra_info.update({k: round(v, 4) for k, v in figures.items()})

    label = f"{size} ({'x'.join(map(str, SIZES[size]))})"
    if size == "12mp":
        report.goal(f"ladder CPU / naive loop's, {label}", figures["whole_ratio"], at_most=0.45)
        report.goal(f"ladder JPEG+WebP CPU / pyvips', {label}", figures["jpeg_webp_vs_vips"],
                    at_most=1.0)
    else:
        report.goal(f"ladder decode+resize CPU / naive loop's, {label}",
                    figures["decode_resize_ratio"], at_most=0.3)
    report.FIGURES[f"ladder CPU ms per source, ours / naive, {label}"] = (
        f"{figures['ours_cpu'] * 1000:.0f} / {figures['naive_cpu'] * 1000:.0f}")
    with capsys.disabled():
        print(f"\n\nLadder CPU ms per source image, {label} JPEG q90, {len(sources)} sources\n")
        print(ladder_cost.format_table(size, result))
        print("\n" + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()))


def test_ladder_bytes(benchmark, capsys) -> None:
    named = {path.name: path.read_bytes() for path in photo_paths()}
    for size in ("2mp", "12mp"):
        # The first two of each size: the sweep encodes every image 13 times.
        for index, source in enumerate(make_sources(SIZES[size], SOURCES[size])[:2]):
            named[f"{size} #{index}"] = source
    result = benchmark.pedantic(lambda: ladder_quality.measure(named), rounds=1, iterations=1)
    totals = result["totals"]
    benchmark.extra_info.update({"totals": totals, "proposal": {
        fmt: {c: row and row["quality"] for c, row in picks.items()}
        for fmt, picks in result["proposal"].items()}})
    for fmt in ("avif", "webp"):
        report.FIGURES[f"{fmt} bytes / jpeg bytes, ladder at quality {result['quality']}"] = (
            f"{totals[fmt] / totals['jpeg']:.2f}")
    with capsys.disabled():
        print(f"\n\nLadder bytes and luma SSIM at quality {result['quality']}\n")
        print(ladder_quality.format_tables(result))
