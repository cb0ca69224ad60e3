"""What any choice of encoder settings per image could reach on the issue-14 corpus, knowing
each image's true SSIMULACRA2 score: bounds on target mode that no proxy can beat.

For each corpus image (:mod:`benchmarks.corpus`) and format, the largest rendition (the
source's own size: every corpus image is within 1600 px) is encoded as the worker encodes it
(:func:`jobs.ladder.encode`) at a grid of qualities that includes fixed mode's, with 4:2:0
chroma (what the worker does today) and, for JPEG and AVIF, with 4:4:4 (libwebp's lossy
mode has 4:2:0 only), and scored with full SSIMULACRA2; score and log bytes are interpolated
linearly between grid points. Policies, each at fixed mode's mean score or above, choosing per
image a chroma mode and a quality within ``jobs.quality.BOUNDS``:

* ``threshold``: what target mode does with a **perfect** proxy: the fewest-bytes setting whose
  true score reaches T, at the lowest T (steps of 0.5) whose mean reaches fixed mode's;
* ``best per byte``: the fewest total bytes any per-image choice can spend for that mean,
  with every image at fixed mode's worst score or above (a Lagrangian sweep, score minus
  lambda x bytes per image: convex-hull points, so a slight overestimate of the bytes). A
  price per byte makes a large image's score point dearer than a small one's, so it lowers
  big images and raises small ones;
* ``best per pixel``: the same with a price per byte *per pixel* (score minus lambda x
  bits per pixel): every image is judged at its own scale, only its content decides.

Only the largest rendition's bytes count here (the smaller widths follow the same quality).
Run: ``.venv/bin/python -m benchmarks.quality_bound`` (about 5 minutes on 2 cores).
"""

from __future__ import annotations

import io
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.corpus import Source, corpus
from jobs import ladder
from jobs.ladder import LadderOptions, encode, format_quality
from jobs.quality import BOUNDS

FORMATS = ("jpeg", "webp", "avif")
#: Format -> chroma mode -> Pillow save arguments (jobs.ladder.CHROMA); the first is the
#: worker's default.
CHROMA = {fmt: {mode: ladder.CHROMA[mode].get(fmt, {}) for mode in ladder.CHROMA
                if mode == "4:2:0" or fmt in ladder.CHROMA[mode]} for fmt in FORMATS}


@dataclass(frozen=True)
class Curves:
    """One format's measurements: every quality of its bounds, for each chroma mode, the
    interpolated scores and bytes of every image ([image, quality])."""

    qualities: np.ndarray
    scores: dict[str, np.ndarray]
    sizes: dict[str, np.ndarray]
    pixels: np.ndarray  # per image
    fixed_quality: int  # format_quality(fmt, 80)

    @property
    def fixed(self) -> tuple[np.ndarray, np.ndarray]:
        """Fixed mode's (scores, bytes) per image: 4:2:0 at format_quality(80)."""
        fmt_quality = np.flatnonzero(self.qualities == self.fixed_quality)[0]
        first = next(iter(self.scores))
        return self.scores[first][:, fmt_quality], self.sizes[first][:, fmt_quality]


def grid(fmt: str) -> list[int]:
    low, high = BOUNDS[fmt]
    fixed = format_quality(fmt, LadderOptions().quality)
    return sorted({low, (low + fixed) // 2, fixed - 6, fixed, (fixed + high) // 2, high})


def _measure_source(source: Source) -> dict[tuple[str, str], tuple[list[float], list[int]]]:
    from ssimulacra2 import compute_ssimulacra2

    out = {}
    with tempfile.TemporaryDirectory() as folder:
        reference, distorted = Path(folder, "r.png"), Path(folder, "d.png")
        source.image.save(reference)
        for fmt in FORMATS:
            for chroma, overrides in CHROMA[fmt].items():
                scores, sizes = [], []
                for quality in grid(fmt):
                    data = encode(source.image, fmt, quality, **overrides)
                    Image.open(io.BytesIO(data)).convert("RGB").save(distorted)
                    scores.append(float(compute_ssimulacra2(str(reference), str(distorted))))
                    sizes.append(len(data))
                out[fmt, chroma] = (scores, sizes)
    return out


def measure(workers: int = 2) -> dict[str, Curves]:
    """Format -> its Curves, the corpus's images in order (one process per core)."""
    sources = corpus()
    with ProcessPoolExecutor(workers) as pool:
        measured = list(pool.map(_measure_source, sources))
    pixels = np.array([s.image.width * s.image.height for s in sources], dtype=np.float64)
    result = {}
    for fmt in FORMATS:
        qualities = np.arange(BOUNDS[fmt][0], BOUNDS[fmt][1] + 1)
        points = grid(fmt)
        scores, sizes = {}, {}
        for chroma in CHROMA[fmt]:
            rows = [each[fmt, chroma] for each in measured]
            scores[chroma] = np.array([np.interp(qualities, points, s) for s, _ in rows])
            sizes[chroma] = np.exp([np.interp(qualities, points, np.log(b)) for _, b in rows])
        result[fmt] = Curves(qualities, scores, sizes, pixels,
                             format_quality(fmt, LadderOptions().quality))
    return result


def _options(curves: Curves, chromas: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every (chroma, quality) option of every image side by side: [image, option]."""
    return (np.hstack([curves.scores[c] for c in chromas]),
            np.hstack([curves.sizes[c] for c in chromas]))


def threshold(curves: Curves, chromas: list[str]) -> tuple:
    scores, sizes = _options(curves, chromas)
    fixed_mean = curves.fixed[0].mean()
    rows = np.arange(len(scores))
    for target in np.arange(40.0, 100.5, 0.5):
        # The fewest bytes reaching the target, or the top score when none does.
        reaching = np.where(scores >= target, sizes, np.inf)
        index = np.where(np.isfinite(reaching).any(1), reaching.argmin(1), scores.argmax(1))
        chosen = scores[rows, index]
        if chosen.mean() >= fixed_mean:
            return target, sizes[rows, index].sum(), chosen.mean(), chosen.min()
    return None, np.nan, np.nan, np.nan


def best(curves: Curves, chromas: list[str], *, per_pixel: bool) -> tuple:
    """Fewest bytes at fixed mode's mean or above, every image at fixed mode's worst or above,
    choosing per image the option of most ``score - lambda * bytes`` (per pixel: ``bytes /
    pixels``)."""
    scores, sizes = _options(curves, chromas)
    fixed_scores, fixed_sizes = curves.fixed
    rows = np.arange(len(scores))
    allowed = scores >= fixed_scores.min()
    allowed[~allowed.any(1), :] = True  # nothing reaches the floor: any option
    cost = sizes / curves.pixels[:, None] if per_pixel else sizes
    found = (fixed_sizes.sum(), fixed_scores.mean(), fixed_scores.min())
    scale = np.median(cost)
    for lam in np.geomspace(1e-6, 1e2, 1500) / scale:
        index = np.where(allowed, scores - lam * cost, -np.inf).argmax(1)
        chosen = scores[rows, index]
        total = sizes[rows, index].sum()
        if chosen.mean() >= fixed_scores.mean() and total < found[0]:
            found = (total, chosen.mean(), chosen.min())
    return found


def format_table(result: dict[str, Curves]) -> str:
    lines = ["| format | chroma per image | fixed 4:2:0: mean, worst | threshold T | "
             "threshold bytes / fixed | threshold mean, worst | best per byte: bytes / fixed | "
             "mean, worst | best per pixel: bytes / fixed | mean, worst |",
             "| --- | --- | --- | ---: | ---: | --- | ---: | --- | ---: | --- |"]
    for fmt, curves in result.items():
        fixed_scores, fixed_sizes = curves.fixed
        base = fixed_sizes.sum()
        names = list(CHROMA[fmt])
        for chromas in [names[:1]] + ([names] if len(names) > 1 else []):
            target, t_bytes, t_mean, t_worst = threshold(curves, chromas)
            per_byte = best(curves, chromas, per_pixel=False)
            per_pixel = best(curves, chromas, per_pixel=True)
            lines.append(
                f"| {fmt} | {' or '.join(chromas)} | {fixed_scores.mean():.1f}, "
                f"{fixed_scores.min():.1f} | {'none' if target is None else f'{target:g}'} | "
                f"{t_bytes / base:.2f} | {t_mean:.1f}, {t_worst:.1f} | "
                f"{per_byte[0] / base:.2f} | {per_byte[1]:.1f}, {per_byte[2]:.1f} | "
                f"{per_pixel[0] / base:.2f} | {per_pixel[1]:.1f}, {per_pixel[2]:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_table(measure()))
