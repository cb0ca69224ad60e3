"""Target quality against fixed quality 80 (issue 14); about 30 s, no service needed.

Run: ``.venv/bin/python -m pytest benchmarks/test_quality_target.py --benchmark-only -s``.
"""

from __future__ import annotations

from benchmarks import quality_target, report

TARGET = 75.0


def test_quality_target(benchmark, capsys) -> None:
    result = benchmark.pedantic(lambda: quality_target.measure(TARGET), rounds=1, iterations=1)
    for fmt, modes in result["formats"].items():
        fixed, target = modes["fixed"], modes["target"]
        report.goal(f"{fmt} bytes target {TARGET} / fixed 80", target["bytes"] / fixed["bytes"],
                    at_most=0.85)
        means = {mode: sum(s for s, _ in entry["scores"].values()) / len(entry["scores"])
                 for mode, entry in modes.items()}
        report.goal(f"{fmt} mean SSIMULACRA2 target - fixed",
                    means["target"] - means["fixed"], at_least=0.0)
        worst = {mode: min(s for s, _ in entry["scores"].values())
                 for mode, entry in modes.items()}
        report.goal(f"{fmt} worst SSIMULACRA2 target - fixed",
                    worst["target"] - worst["fixed"], at_least=0.0)
    report.goal("worker CPU per source, target / fixed",
                result["cpu"]["target"] / result["cpu"]["fixed"], at_most=1.5)
    table = quality_target.format_table(result)
    report.SECTIONS.append(f"## Target quality (issue 14)\n\n{table}")
    with capsys.disabled():
        print(f"\n\nTarget quality {TARGET} against fixed 80\n\n{table}")
