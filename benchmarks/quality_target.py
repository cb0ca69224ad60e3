"""Target quality against fixed quality 80 (issue 14): bytes of the whole default ladder, full
SSIMULACRA2 of the largest rendition, and the worker's CPU per source, in one run.

Sources: the repository's test photos (testdata/photos, PNG and JPEG; GIF left out) at their
own size and at 0.6x (LANCZOS), as PNG, so the reference is lossless. Each is rendered by
:func:`jobs.ladder.render_ladder` in each mode; CPU is ``time.process_time`` around it. Every
rendition's bytes count; only the largest width of each format is scored (kept sources are
not scored), by the pure-Python ``ssimulacra2`` package (dev extra) against the source's
pixels, which at these sizes are the largest rendition's reference.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path

from PIL import Image

from benchmarks.sources import open_photo, photo_paths
from jobs.ladder import LadderOptions, render_ladder

SCALES = (1.0, 0.6)


def sources() -> dict[str, tuple[bytes, Image.Image]]:
    named = {}
    for path in photo_paths():
        photo = open_photo(path)
        for scale in SCALES:
            image = photo if scale == 1.0 else photo.resize(
                (round(photo.width * scale), round(photo.height * scale)),
                Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            named[f"{path.name}@{scale}"] = (buffer.getvalue(), image)
    return named


def measure(target: float) -> dict:
    from ssimulacra2 import compute_ssimulacra2

    modes = {"fixed": LadderOptions(),
             "target": LadderOptions(quality_mode="target", quality_target=target)}
    result: dict = {"target": target, "cpu": {}, "formats": {}}
    named = sources()
    with tempfile.TemporaryDirectory() as folder:
        reference, distorted = Path(folder, "r.png"), Path(folder, "d.png")
        for mode, options in modes.items():
            cpu = 0.0
            for name, (data, image) in named.items():
                started = time.process_time()
                ladder = render_ladder(data, options)
                cpu += time.process_time() - started
                image.save(reference)
                for rendition in ladder.renditions:
                    entry = result["formats"].setdefault(rendition.format, {}).setdefault(
                        mode, {"bytes": 0, "scores": {}})
                    entry["bytes"] += len(rendition.data)
                    if rendition.width == ladder.source_width and not rendition.kept_source:
                        Image.open(io.BytesIO(rendition.data)).convert("RGB").save(distorted)
                        entry["scores"][name] = (
                            float(compute_ssimulacra2(str(reference), str(distorted))),
                            rendition.quality)
            result["cpu"][mode] = cpu / len(named)
    return result


def format_table(result: dict) -> str:
    lines = ["| format | kB fixed 80 | kB target | target / fixed | mean score fixed | "
             "mean score target | worst fixed | worst target |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for fmt in ("jpeg", "webp", "avif"):
        fixed, target = result["formats"][fmt]["fixed"], result["formats"][fmt]["target"]
        cells = []
        for entry in (fixed, target):
            scores = [score for score, _ in entry["scores"].values()]
            cells.append((sum(scores) / len(scores), min(scores)))
        lines.append(f"| {fmt} | {fixed['bytes'] / 1000:.1f} | {target['bytes'] / 1000:.1f} | "
                     f"{target['bytes'] / fixed['bytes']:.2f} | {cells[0][0]:.1f} | "
                     f"{cells[1][0]:.1f} | {cells[0][1]:.1f} | {cells[1][1]:.1f} |")
    cpu = result["cpu"]
    lines.append(f"\nCPU per source: fixed {cpu['fixed'] * 1000:.0f} ms, target "
                 f"{cpu['target'] * 1000:.0f} ms ({cpu['target'] / cpu['fixed']:.2f}x)")
    return "\n".join(lines)
