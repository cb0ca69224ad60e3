"""Bytes and fidelity of the ladder's formats: AVIF and WebP against JPEG at the defaults.

Each image's renditions are made as the worker makes them (``decode`` and ``resized_ladder``
of jobs.ladder, then :func:`jobs.ladder.encode` at the default quality), and every encoded
rendition is decoded again and scored against the pixels it was encoded from (the resized,
normalized rendition) by SSIM on luma (Pillow's ``L``: ITU-R 601 luma), with a 7x7 uniform
window and the usual constants (K1 0.01, K2 0.03, L 255): the default of scikit-image's
``structural_similarity``. A format that is smaller but scores lower has bought its bytes
with fidelity, so both are reported side by side.

The quality sweep then looks, for AVIF and WebP, for the lowest quality number whose
renditions score at least as well as JPEG's at the default on every image (the ladder's mean
SSIM per image), and reports the bytes at that quality: the offset a per-format quality would
need to give equal-or-better SSIM with fewer bytes. numpy is a benchmark-only dependency (the
dev extra) for the SSIM.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from benchmarks.ladder_cost import Phases, decoded_ladder
from jobs.ladder import LadderOptions, encode, format_quality

OPTIONS = LadderOptions()
WINDOW = 7
C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
#: Qualities tried per format in the sweep (the default, 80, among them).
SWEEP = {"avif": (60, 65, 68, 70, 72, 75, 80), "webp": (80, 82, 84, 86, 88, 90)}


def _luma(image: Image.Image) -> np.ndarray:
    if image.mode == "RGBA":  # scored as shown in a JPEG: on white
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    return np.asarray(image.convert("L"), dtype=np.float64)


def _box_mean(values: np.ndarray) -> np.ndarray:
    """Mean over every WINDOW x WINDOW window that fits (valid positions), by integral image."""
    total = np.pad(values, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    w = WINDOW
    return (total[w:, w:] - total[:-w, w:] - total[w:, :-w] + total[:-w, :-w]) / (w * w)


def ssim(reference: Image.Image, other: Image.Image) -> float:
    """Mean SSIM of the luma of two same-size images (1.0 for identical pixels)."""
    x, y = _luma(reference), _luma(other)
    if min(x.shape) < WINDOW:
        return 1.0 if np.array_equal(x, y) else float("nan")
    # Sample covariance, as scikit-image does (N / (N - 1)).
    n = WINDOW * WINDOW
    correction = n / (n - 1)
    mx, my = _box_mean(x), _box_mean(y)
    vx = (_box_mean(x * x) - mx * mx) * correction
    vy = (_box_mean(y * y) - my * my) * correction
    cxy = (_box_mean(x * y) - mx * my) * correction
    score = ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
    return float(score.mean())


def renditions(source: bytes, options: LadderOptions = OPTIONS) -> list[Image.Image]:
    """The normalized pixels of every rendition size of ``source``, largest first."""
    return decoded_ladder(source, Phases(), options)


def score(images: Sequence[Image.Image], fmt: str, quality: int) -> dict:
    """Bytes and SSIM of ``images`` encoded as ``fmt`` at ``quality``."""
    sizes, scores = [], []
    for image in images:
        data = encode(image, fmt, quality)
        with Image.open(io.BytesIO(data)) as decoded:
            decoded.load()
            scores.append(ssim(image, decoded))
        sizes.append(len(data))
    return {"bytes": sum(sizes), "ssim": float(np.mean(scores)), "ssim_min": min(scores),
            "per_rendition": list(zip(sizes, scores, strict=True))}


def measure(named_sources: dict[str, bytes], options: LadderOptions = OPTIONS,
            sweep: dict[str, Sequence[int]] | None = SWEEP) -> dict:
    """Per image and format at the default quality, totals, and the quality sweep."""
    ladders = {name: renditions(source, options) for name, source in named_sources.items()}
    defaults = {name: {fmt: score(images, fmt, format_quality(fmt, options.quality))
                       for fmt in options.formats}
                for name, images in ladders.items()}
    totals = {fmt: sum(per[fmt]["bytes"] for per in defaults.values())
              for fmt in options.formats}
    result = {"quality": options.quality, "images": defaults, "totals": totals,
              "renditions": {name: len(images) for name, images in ladders.items()},
              "sweep": {}, "proposal": {}}
    for fmt, qualities in (sweep or {}).items():
        rows = []
        for quality in qualities:
            per = {name: (score(images, fmt, quality)
                          if quality != format_quality(fmt, options.quality)
                          else defaults[name][fmt]) for name, images in ladders.items()}
            worst = min(per[name]["ssim"] - defaults[name]["jpeg"]["ssim"] for name in per)
            rows.append({"quality": quality, "bytes": sum(p["bytes"] for p in per.values()),
                         "ssim": float(np.mean([p["ssim"] for p in per.values()])),
                         "worst_delta": worst})
        result["sweep"][fmt] = rows
        jpeg_mean = float(np.mean([per["jpeg"]["ssim"] for per in defaults.values()]))
        # The lowest quality at least as good as JPEG: on every image ("strict"), or on the
        # mean over the images ("mean"); either only counts if it also has fewer bytes.
        for criterion, ok in (("strict", lambda row: row["worst_delta"] >= 0),
                              ("mean", lambda row, m=jpeg_mean: row["ssim"] >= m)):
            good = [row for row in rows if ok(row)]
            best = min(good, key=lambda row: row["quality"]) if good else None
            result["proposal"].setdefault(fmt, {})[criterion] = (
                best if best and best["bytes"] < totals["jpeg"] else None)
    return result


def format_tables(result: dict) -> str:
    """Markdown: per image and format at the default quality, then the sweep."""
    formats = list(next(iter(result["images"].values())))
    lines = ["| image (renditions) | " + " | ".join(f"{f} kB | {f} SSIM" for f in formats)
             + " | " + " | ".join(f"{f}/jpeg bytes" for f in formats if f != "jpeg") + " |",
             "| --- | " + " | ".join("---: | ---:" for _ in formats) + " | "
             + " | ".join("---:" for f in formats if f != "jpeg") + " |"]
    for name, per in result["images"].items():
        cells = [f"{per[f]['bytes'] / 1000:.1f} | {per[f]['ssim']:.4f}" for f in formats]
        ratios = [f"{per[f]['bytes'] / per['jpeg']['bytes']:.2f}" for f in formats if f != "jpeg"]
        lines.append(f"| {name} ({result['renditions'][name]}) | " + " | ".join(cells) + " | "
                     + " | ".join(ratios) + " |")
    totals = result["totals"]
    lines.append("| **all** | " + " | ".join(f"{totals[f] / 1000:.1f} | " for f in formats)
                 + " | ".join(f"**{totals[f] / totals['jpeg']:.2f}**" for f in formats
                              if f != "jpeg") + " |")
    jpeg_bytes = totals["jpeg"]
    jpeg_ssim = float(np.mean([per["jpeg"]["ssim"] for per in result["images"].values()]))
    lines += ["", f"Quality sweep (JPEG at {result['quality']}: {jpeg_bytes / 1000:.1f} kB, "
              f"mean SSIM {jpeg_ssim:.4f}); 'worst' is the lowest per-image SSIM difference "
              "to JPEG's at the default; (strict) marks the lowest quality at least JPEG's SSIM on "
              "every image with fewer bytes, (mean) the same on the mean:", "",
              "| format | quality | kB | bytes / JPEG's | mean SSIM | worst vs JPEG |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for fmt, rows in result["sweep"].items():
        for row in rows:
            marks = [name for name, pick in result["proposal"].get(fmt, {}).items()
                     if pick is row]
            mark = f" ({', '.join(marks)})" if marks else ""
            lines.append(f"| {fmt} | {row['quality']}{mark} | {row['bytes'] / 1000:.1f} | "
                         f"{row['bytes'] / jpeg_bytes:.2f} | {row['ssim']:.4f} | "
                         f"{row['worst_delta']:+.4f} |")
    return "\n".join(lines)
