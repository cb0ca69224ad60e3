"""What any choice of one encoder quality per image could reach on the issue-14 corpus, knowing
each image's true SSIMULACRA2 score: a bound on target mode that no proxy can beat.

For each corpus image (:mod:`benchmarks.corpus`) and format, the largest rendition (the
source's own size: every corpus image is within 1600 px) is encoded as the worker encodes it
(:func:`jobs.ladder.encode`) at a grid of qualities that includes fixed mode's, and scored
with full SSIMULACRA2; score and log bytes are interpolated linearly between grid points.
Two policies, each at fixed mode's mean score or above:

* ``threshold``: what target mode does with a perfect proxy, the lowest quality within
  ``jobs.quality.BOUNDS`` whose true score reaches T, at the lowest T (steps of 0.5) whose
  mean reaches fixed mode's;
* ``best``: the fewest bytes any per-image choice within the bounds can spend for that mean,
  with every image at fixed mode's worst score or above (a Lagrangian sweep, score minus
  lambda x bytes per image: the convex-hull points, so a slight overestimate of the bytes).

Only the largest rendition's bytes count here (the smaller widths follow the same quality).
Run: ``.venv/bin/python -m benchmarks.quality_bound`` (about 6 minutes on 2 cores).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.corpus import corpus
from jobs.ladder import LadderOptions, encode, format_quality
from jobs.quality import BOUNDS

FORMATS = ("jpeg", "webp", "avif")


def grid(fmt: str) -> list[int]:
    low, high = BOUNDS[fmt]
    fixed = format_quality(fmt, LadderOptions().quality)
    return sorted({low, (low + fixed) // 2, fixed - 6, fixed, (fixed + high) // 2, high})


def measure() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Format -> (qualities, scores[image, quality], bytes[image, quality]), every quality of
    the bounds, interpolated from the grid."""
    from ssimulacra2 import compute_ssimulacra2

    sources = corpus()
    measured = {fmt: ([], []) for fmt in FORMATS}
    with tempfile.TemporaryDirectory() as folder:
        reference, distorted = Path(folder, "r.png"), Path(folder, "d.png")
        for source in sources:
            source.image.save(reference)
            for fmt in FORMATS:
                scores, sizes = [], []
                for quality in grid(fmt):
                    data = encode(source.image, fmt, quality)
                    Image.open(io.BytesIO(data)).convert("RGB").save(distorted)
                    scores.append(float(compute_ssimulacra2(str(reference), str(distorted))))
                    sizes.append(len(data))
                measured[fmt][0].append(scores)
                measured[fmt][1].append(sizes)
    result = {}
    for fmt, (scores, sizes) in measured.items():
        qualities = np.arange(BOUNDS[fmt][0], BOUNDS[fmt][1] + 1)
        points = grid(fmt)
        result[fmt] = (qualities,
                       np.array([np.interp(qualities, points, row) for row in scores]),
                       np.exp([np.interp(qualities, points, np.log(row)) for row in sizes]))
    return result


def threshold(scores: np.ndarray, sizes: np.ndarray, fixed: int) -> tuple:
    rows = np.arange(len(scores))
    for target in np.arange(40.0, 100.5, 0.5):
        reaching = scores >= target
        # The lowest reaching quality, or the ceiling when none does.
        index = np.where(reaching.any(1), reaching.argmax(1), scores.shape[1] - 1)
        chosen = scores[rows, index]
        if chosen.mean() >= scores[:, fixed].mean():
            return target, sizes[rows, index].sum(), chosen.mean(), chosen.min()
    return None, sizes[:, -1].sum(), scores[:, -1].mean(), scores[:, -1].min()


def best(scores: np.ndarray, sizes: np.ndarray, fixed: int) -> tuple:
    rows = np.arange(len(scores))
    allowed = scores >= scores[:, fixed].min()
    allowed[~allowed.any(1), -1] = True
    found = (sizes[:, fixed].sum(), scores[:, fixed].mean(), scores[:, fixed].min())
    for lam in np.geomspace(1e-8, 1e-2, 600):
        index = np.where(allowed, scores - lam * sizes, -np.inf).argmax(1)
        chosen = scores[rows, index]
        total = sizes[rows, index].sum()
        if chosen.mean() >= scores[:, fixed].mean() and total < found[0]:
            found = (total, chosen.mean(), chosen.min())
    return found


def format_table(result: dict) -> str:
    lines = ["| format | fixed: mean, worst | threshold T | threshold bytes / fixed | "
             "threshold mean, worst | best bytes / fixed | best mean, worst |",
             "| --- | --- | ---: | ---: | --- | ---: | --- |"]
    for fmt, (qualities, scores, sizes) in result.items():
        fixed = int(np.flatnonzero(qualities == format_quality(fmt, LadderOptions().quality))[0])
        base = sizes[:, fixed].sum()
        target, t_bytes, t_mean, t_worst = threshold(scores, sizes, fixed)
        b_bytes, b_mean, b_worst = best(scores, sizes, fixed)
        lines.append(f"| {fmt} | {scores[:, fixed].mean():.1f}, {scores[:, fixed].min():.1f} | "
                     f"{'none' if target is None else f'{target:g}'} | {t_bytes / base:.2f} | "
                     f"{t_mean:.1f}, {t_worst:.1f} | {b_bytes / base:.2f} | "
                     f"{b_mean:.1f}, {b_worst:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_table(measure()))
