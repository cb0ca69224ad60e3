"""The one table ``make bench`` prints, and the copies it writes to ``docs/``.

Each benchmark module records its figures here; at the end of the session
:func:`render` builds the table, with the ratios measured in this one run.
"""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: name -> {"rps", "p50", "p95", "p99", "failures", "tool", ...}; filled by the benchmarks.
ROWS: dict[str, dict] = {}
#: Single figures (the worker's images/s and the like).
FIGURES: dict[str, float | str] = {}
#: (figure, value, goal text, met) rows of the goals table.
GOALS: list[tuple[str, str, str, bool | None]] = []
#: Whole Markdown sections (a heading and its tables) shown after the table.
SECTIONS: list[str] = []


def machine() -> str:
    model = subprocess.run("lscpu | sed -n 's/^Model name: *//p'", shell=True,
                           capture_output=True, text=True).stdout.strip()
    import os

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({model or platform.processor()}), {memory:.0f} GiB, "
            f"Python {platform.python_version()}")


def ratio(numerator: str, denominator: str, field: str = "rps") -> float | None:
    top, bottom = ROWS.get(numerator), ROWS.get(denominator)
    if not top or not bottom or not bottom.get(field):
        return None
    return top[field] / bottom[field]


def goal(figure: str, value: float | None, *, at_least: float | None = None,
         at_most: float | None = None, unit: str = "") -> None:
    if value is None:
        GOALS.append((figure, "not measured", "", None))
        return
    met = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    target = f">= {at_least}{unit}" if at_least is not None else f"<= {at_most}{unit}"
    text = f"{value:.2f}{unit}"
    GOALS.append((figure, text, target, met))


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    return f"{value:,.1f}" if key == "rps" else f"{value:.1f}"


def table() -> str:
    lines = ["| scenario | tool | requests/s | p50 ms | p95 ms | p99 ms | failures |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in ROWS.items():
        rps, p50, p95, p99 = (_cell(row, key) for key in ("rps", "p50", "p95", "p99"))
        lines.append(f"| {name} | {row.get('tool', '')} | {rps} | {p50} | {p95} | {p99} | "
                     f"{row.get('failures', 0)} |")
    lines += ["", "| figure | this run | goal | met |", "| --- | ---: | ---: | --- |"]
    for figure, value, target, met in GOALS:
        lines.append(f"| {figure} | {value} | {target} | "
                     f"{'' if met is None else 'yes' if met else 'NO'} |")
    if FIGURES:
        lines += ["", "| other figure | value |", "| --- | ---: |"]
        lines += [f"| {name} | {value} |" for name, value in FIGURES.items()]
    return "\n".join(lines)


def chart(path: Path) -> None:
    """Requests per second of each scenario as horizontal bars (Pillow, no plotting stack)."""
    rows = [(name, row["rps"]) for name, row in ROWS.items() if row.get("rps")]
    if not rows:
        return
    width, bar, gap, label = 900, 26, 10, 300
    height = 50 + len(rows) * (bar + gap)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "requests/s by scenario (make bench, one run)", fill="black")
    top = max(value for _, value in rows)
    for index, (name, value) in enumerate(rows):
        y = 40 + index * (bar + gap)
        length = int((width - label - 90) * value / top)
        draw.text((10, y + 7), name, fill="black")
        draw.rectangle((label, y, label + length, y + bar), fill=(70, 110, 180))
        draw.text((label + length + 6, y + 7), f"{value:,.0f}", fill="black")
    image.save(path)


def render(command: str) -> str:
    """The report as Markdown; also written to docs/ with its chart."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"# Latest `make bench`\n\nCommand: `{command}`, run {stamp}.\n\n"
            f"Machine: {machine()}. Load generators and servers share these cores.\n\n"
            f"{table()}\n\n![requests per second](bench-latest.png)\n"
            + "".join(f"\n{section}\n" for section in SECTIONS))
    DOCS.mkdir(exist_ok=True)
    (DOCS / "bench-latest.md").write_text(text)
    chart(DOCS / "bench-latest.png")
    return text
