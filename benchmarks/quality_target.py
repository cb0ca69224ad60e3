"""Target quality against fixed quality 80 (issue 14): bytes of the whole default ladder, full
SSIMULACRA2 of the largest rendition, and the worker's CPU per source, in one run.

Sources: the corpus of :mod:`benchmarks.corpus` (photos at three crops and scales, and a
minority of synthetic renders), as lossless PNG. Each is rendered by
:func:`jobs.ladder.render_ladder` in fixed mode and in target mode at each target; CPU is
``time.process_time`` around it. Every rendition's bytes count; the largest rendition of each
format is scored by the pure-Python ``ssimulacra2`` package (dev extra) against the source's
pixels (resized to its size, when it is smaller; a kept source is scored too: it is what
clients get). Photos and synthetic renders are reported apart, and together.

Run on its own: ``.venv/bin/python -m benchmarks.quality_target --target 75 [--target 80]``
(fixed mode is measured once for all targets); ``--chroma-444 74`` adds fixed mode at
IMAGE_QUALITY 74 with 4:4:4 chroma; ``--images`` adds one line per image.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from benchmarks.corpus import Source, corpus
from jobs.ladder import LadderOptions, render_ladder

FORMATS = ("jpeg", "webp", "avif")
GROUPS = ("photo", "synthetic", None)  # None: the whole corpus


def mode_name(target: float) -> str:
    return f"target {target:g}"


def chroma_name(quality: int) -> str:
    return f"fixed {quality} at 4:4:4"


def measure(targets: float | Sequence[float], sources: Sequence[Source] | None = None, *,
            full_chroma: Sequence[int] = ()) -> dict:
    """``{"modes": [...], "sources": {name: Source}, "cpu": {(mode, name): s},
    "records": {(mode, name, fmt): {"bytes", "score", "quality"}}}``; ``full_chroma``: fixed
    mode at these IMAGE_QUALITY values with IMAGE_CHROMA=4:4:4, as more modes."""
    from ssimulacra2 import compute_ssimulacra2

    targets = [targets] if isinstance(targets, int | float) else list(targets)
    modes = {"fixed": LadderOptions()}
    modes |= {mode_name(target): LadderOptions(quality_mode="target", quality_target=target)
              for target in targets}
    modes |= {chroma_name(quality): LadderOptions(quality=quality, chroma="4:4:4")
              for quality in full_chroma}
    sources = list(sources if sources is not None else corpus())
    result: dict = {"modes": list(modes), "sources": {s.name: s for s in sources},
                    "cpu": {}, "records": {}}
    with tempfile.TemporaryDirectory() as folder:
        reference, distorted = Path(folder, "r.png"), Path(folder, "d.png")
        for source in sources:
            for mode, options in modes.items():
                started = time.process_time()
                ladder = render_ladder(source.data, options)
                result["cpu"][mode, source.name] = time.process_time() - started
                for fmt in FORMATS:
                    made = [r for r in ladder.renditions if r.format == fmt
                            or (r.kept_source and fmt == options.required)]
                    largest = max(made, key=lambda rendition: rendition.width)
                    expected = source.image
                    if expected.size != (largest.width, largest.height):
                        expected = expected.resize((largest.width, largest.height),
                                                   Image.Resampling.LANCZOS)
                    expected.save(reference)
                    Image.open(io.BytesIO(largest.data)).convert("RGB").save(distorted)
                    result["records"][mode, source.name, fmt] = {
                        "bytes": sum(len(r.data) for r in made),
                        "score": float(compute_ssimulacra2(str(reference), str(distorted))),
                        "quality": largest.quality}
    return result


def names(result: dict, group: str | None = None, kind: str | None = None) -> list[str]:
    return [name for name, source in result["sources"].items()
            if (group is None or source.group == group) and (kind is None or source.kind == kind)]


def summary(result: dict, mode: str, fmt: str, selected: Sequence[str]) -> dict:
    """Total bytes, mean and worst score (and its image), mean encoder quality."""
    records = {name: result["records"][mode, name, fmt] for name in selected}
    worst = min(records, key=lambda name: records[name]["score"])
    qualities = [r["quality"] for r in records.values() if r["quality"] is not None]
    return {"bytes": sum(r["bytes"] for r in records.values()),
            "mean": sum(r["score"] for r in records.values()) / len(records),
            "worst": records[worst]["score"], "worst_image": worst,
            "quality": sum(qualities) / len(qualities) if qualities else None}


def cpu_per_source(result: dict, mode: str, selected: Sequence[str]) -> float:
    return sum(result["cpu"][mode, name] for name in selected) / len(selected)


def _quality(value: float | None) -> str:
    return "kept" if value is None else f"{value:.0f}"


def _cpu_text(result: dict, mode: str, label: str, selected: Sequence[str]) -> str:
    fixed, other = (cpu_per_source(result, m, selected) for m in ("fixed", mode))
    return f"{label} fixed {fixed * 1000:.0f} ms, {mode} {other * 1000:.0f} ms " \
           f"({other / fixed:.2f}x)"


def format_table(result: dict, *, per_image: bool = False) -> str:
    photos, synthetic = names(result, "photo"), names(result, "synthetic")
    everything = names(result)
    lines = [f"Corpus: {len(everything)} images, {len(photos)} photos and {len(synthetic)} "
             f"synthetic ({len(synthetic) / len(everything):.0%}: "
             f"{', '.join(sorted({result['sources'][n].kind for n in synthetic}))})."]
    groups = {"photos": photos, "synthetic": synthetic, "all": everything}
    for mode in result["modes"][1:]:
        this = "target" if mode.startswith("target") else "4:4:4"  # the compared mode's columns
        lines += ["", f"### {mode} against fixed quality 80", "",
                  f"| format | images | kB fixed | kB {this} | {this} / fixed | mean fixed | "
                  f"mean {this} | worst fixed | worst {this} | mean q fixed -> {this} |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for fmt in FORMATS:
            for label, selected in groups.items():
                f, t = (summary(result, m, fmt, selected) for m in ("fixed", mode))
                lines.append(
                    f"| {fmt} | {label} | {f['bytes'] / 1000:.0f} | {t['bytes'] / 1000:.0f} | "
                    f"{t['bytes'] / f['bytes']:.2f} | {f['mean']:.1f} | {t['mean']:.1f} | "
                    f"{f['worst']:.1f} ({f['worst_image']}) | "
                    f"{t['worst']:.1f} ({t['worst_image']}) | "
                    f"{_quality(f['quality'])} -> {_quality(t['quality'])} |")
        lines += ["", "Synthetic kinds (bytes target / fixed; score fixed -> target):", "",
                  "| kind | " + " | ".join(FORMATS) + " |",
                  "| --- |" + " --- |" * len(FORMATS)]
        for kind in sorted({result["sources"][n].kind for n in synthetic}):
            selected = names(result, "synthetic", kind)
            cells = []
            for fmt in FORMATS:
                f, t = (summary(result, m, fmt, selected) for m in ("fixed", mode))
                cells.append(f"{t['bytes'] / f['bytes']:.2f}; {f['mean']:.1f} -> "
                             f"{t['mean']:.1f}")
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        lines += ["", "CPU per source (process time of render_ladder): "
                  + "; ".join(_cpu_text(result, mode, label, selected)
                              for label, selected in groups.items()) + "."]
    if per_image:
        lines += ["", "| image | " + " | ".join(f"{fmt} {mode}" for mode in result["modes"]
                                               for fmt in FORMATS) + " |",
                  "| --- |" + " ---: |" * (len(FORMATS) * len(result["modes"]))]
        for name in everything:
            cells = [f"{r['score']:.1f} q{_quality(r['quality'])} {r['bytes'] / 1000:.0f}k"
                     for mode in result["modes"] for fmt in FORMATS
                     for r in [result["records"][mode, name, fmt]]]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=float, action="append",
                        help="IMAGE_QUALITY_TARGET to measure (repeatable; default 75)")
    parser.add_argument("--chroma-444", type=int, action="append", default=[],
                        metavar="QUALITY", help="also fixed mode at this IMAGE_QUALITY with "
                        "IMAGE_CHROMA=4:4:4 (repeatable)")
    parser.add_argument("--images", action="store_true", help="one line per image too")
    args = parser.parse_args(argv)
    targets = args.target if args.target is not None else ([] if args.chroma_444 else [75.0])
    result = measure(targets, full_chroma=args.chroma_444)
    print(format_table(result, per_image=args.images))


if __name__ == "__main__":
    main()
