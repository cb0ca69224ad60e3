"""2,000 open streams on one stream process (issue 13): its memory and CPU at rest, each
stream receiving its own user's event, no database connection held per stream.

One pytest-benchmark round of :func:`benchmarks.open_streams.measure`; the figures are in the
printed table and ``extra_info``. Asserted, since they are properties rather than speeds:
every stream got exactly its own user's one event, and the process's PostgreSQL connections
with every stream open are at most its pool and its listener, whatever the count of streams.

Run with ``make bench`` or ``.venv/bin/pytest benchmarks/test_open_streams.py
--benchmark-only -s``.
"""

from __future__ import annotations

from benchmarks import report
from benchmarks.open_streams import STREAMS, format_table, measure
from stream.__main__ import MAX_CONNECTIONS
from tests.support.required import require_service


def test_open_streams(benchmark, capsys) -> None:
    require_service("PostgreSQL")
    result = benchmark.pedantic(lambda: measure(streams=STREAMS), rounds=1, iterations=1)

    assert not result["wrong"], f"streams with a wrong message: {result['wrong'][:10]}"
    # The listener plus the pool of reads: none per stream.
    assert result["held"]["backends"] <= 1 + MAX_CONNECTIONS, result["held"]
    assert result["after_burst"]["backends"] <= 1 + MAX_CONNECTIONS, result["after_burst"]
    benchmark.extra_info.update({key: result[key] for key in (
        "streams", "open_s", "idle", "held", "rest_cpu_s", "all_arrived_s", "burst_cpu_s",
        "latency_ms", "after_burst")})
    report.FIGURES[f"stream process RSS MB, {STREAMS:,} open streams"] = (
        f"{result['held']['rss_bytes'] / 2**20:.0f}")
    report.FIGURES[f"stream process CPU at rest, {STREAMS:,} streams, % of a core"] = (
        f"{result['rest_cpu_s'] / result['rest_s'] * 100:.1f}")
    report.FIGURES[f"one event to each of {STREAMS:,} streams, s to the last"] = (
        f"{result['all_arrived_s']:.1f}")
    with capsys.disabled():
        print(f"\n\n{STREAMS:,} open streams on one stream process\n")
        print(format_table(result))
