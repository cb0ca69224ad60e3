"""Target quality against fixed quality 80 (issue 14) on the corpus of benchmarks/corpus.py;
about 4 minutes on 2 cores, no service needed.

Run: ``.venv/bin/python -m pytest benchmarks/test_quality_target.py --benchmark-only -s``, or
``.venv/bin/python -m benchmarks.quality_target --target 75`` for the table alone.
"""

from __future__ import annotations

from benchmarks import quality_target, report

TARGET = 75.0


def test_quality_target(benchmark, capsys) -> None:
    result = benchmark.pedantic(lambda: quality_target.measure(TARGET), rounds=1, iterations=1)
    mode = quality_target.mode_name(TARGET)
    everything = quality_target.names(result)
    synthetic = quality_target.names(result, "synthetic")
    # The corpus: at least 30 distinct images (corpus() checks the pixels), synthetic
    # renders a minority, and every image scored in every format and mode.
    assert len(everything) >= 30 and 0 < len(synthetic) <= 0.2 * len(everything)
    assert len(result["records"]) == len(everything) * len(quality_target.FORMATS) * 2
    for fmt in quality_target.FORMATS:
        fixed, target = (quality_target.summary(result, m, fmt, everything)
                         for m in ("fixed", mode))
        report.goal(f"{fmt} bytes target {TARGET:g} / fixed 80", target["bytes"] / fixed["bytes"],
                    at_most=0.85)
        report.goal(f"{fmt} mean SSIMULACRA2 target - fixed", target["mean"] - fixed["mean"],
                    at_least=0.0)
        report.goal(f"{fmt} worst SSIMULACRA2 target - fixed", target["worst"] - fixed["worst"],
                    at_least=0.0)
    report.goal("worker CPU per source, target / fixed",
                quality_target.cpu_per_source(result, mode, everything)
                / quality_target.cpu_per_source(result, "fixed", everything), at_most=1.5)
    table = quality_target.format_table(result)
    report.SECTIONS.append(f"## Target quality (issue 14)\n\n{table}")
    with capsys.disabled():
        print(f"\n\nTarget quality {TARGET:g} against fixed 80\n\n{table}")
