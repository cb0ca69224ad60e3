"""Target quality (IMAGE_QUALITY_MODE=target): the lowest encoder quality of a format whose
proxy score against the resized source reaches IMAGE_QUALITY_TARGET.

The proxy is cheap by construction: SSIM on luma (numpy, 7x7 uniform window, the constants of
scikit-image's ``structural_similarity``) over a few full-resolution tiles, the ones with the
most edge energy (where compression shows first), packed into one small mosaic that is
encoded and decoded at each probe. Scoring downscaled copies would inflate the score; full
tiles keep the artefacts at the size clients see them. Each tile is scored on its own, so the
seams of the mosaic count for nothing, and the score is the worst tile's.

The score is reported on the SSIMULACRA2 scale through :func:`to_ssimulacra2`, a linear map
of the tile SSIM fitted on the test photos (see ``CALIBRATION``); the target is on that scale.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from jobs.compress import flatten

WINDOW = 7
C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
#: Sample covariance over a window, as scikit-image does.
_CORRECTION = WINDOW * WINDOW / (WINDOW * WINDOW - 1)
#: Side of a scored tile; a multiple of 64 so tiles align with AVIF superblocks and JPEG/WebP
#: macroblocks, as the same pixels do in the full image.
TILE = 128
#: Tiles scored per probe at most: 4 x 128^2 px is 8 % of a 1600x1200 rendition.
TILES = 4
#: Encoder probes per format at most (the first at the predicted quality).
MAX_PROBES = 4
#: Encoder quality bounds per format: the floor keeps a flat image from being starved (its
#: score saturates early), the ceiling keeps a noisy one from costing more than it shows.
BOUNDS = {"jpeg": (50, 92), "webp": (50, 94), "avif": (40, 88)}
#: SSIMULACRA2 ~= A + B * (1 - SSIM): fitted on the test photos, see the module docstring.
CALIBRATION = (90.0, -300.0)


@dataclass(frozen=True)
class Choice:
    """The quality a search picked and its proxy score (SSIMULACRA2 scale); ``score`` is None
    when the ceiling was used without reaching the target being checked."""

    quality: int
    score: float | None
    probes: int


def luma(image: Image.Image) -> np.ndarray:
    """Luma (ITU-R 601, Pillow's ``L``) as float64; transparency shown on white."""
    return np.asarray(flatten(image).convert("L"), dtype=np.float64)


def _box_mean(values: np.ndarray) -> np.ndarray:
    """Mean over every WINDOW x WINDOW window that fits (valid positions), by integral image."""
    total = np.pad(values, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    w = WINDOW
    return (total[w:, w:] - total[:-w, w:] - total[w:, :-w] + total[:-w, :-w]) / (w * w)


def ssim_arrays(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of two same-shape luma arrays (1.0 for identical ones)."""
    if min(x.shape) < WINDOW:
        return 1.0 if np.array_equal(x, y) else float(1 - np.abs(x - y).mean() / 255)
    mx, my = _box_mean(x), _box_mean(y)
    vx = (_box_mean(x * x) - mx * mx) * _CORRECTION
    vy = (_box_mean(y * y) - my * my) * _CORRECTION
    cxy = (_box_mean(x * y) - mx * my) * _CORRECTION
    score = ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
    return float(score.mean())


def ssim(reference: Image.Image, other: Image.Image) -> float:
    """Mean SSIM of the luma of two same-size images."""
    return ssim_arrays(luma(reference), luma(other))


def to_ssimulacra2(ssim_value: float) -> float:
    a, b = CALIBRATION
    return a + b * (1 - ssim_value)


def tile_boxes(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """The TILES aligned tiles of most edge energy (sum of absolute luma gradients), in a
    fixed order; the whole image when it is no larger than one tile on a side."""
    if image.width <= TILE or image.height <= TILE:
        return [(0, 0, image.width, image.height)]
    y = luma(image)
    energy = np.abs(np.diff(y, axis=1))[:-1, :] + np.abs(np.diff(y, axis=0))[:, :-1]
    rows, cols = image.height // TILE, image.width // TILE
    grid = energy[:rows * TILE - 1, :cols * TILE - 1]
    grid = np.pad(grid, ((0, 1), (0, 1))).reshape(rows, TILE, cols, TILE).sum(axis=(1, 3))
    # Stable sort: equal energies keep their reading order, so the choice is deterministic.
    best = np.argsort(-grid, axis=None, kind="stable")[:TILES]
    return [(int(c) * TILE, int(r) * TILE, (int(c) + 1) * TILE, (int(r) + 1) * TILE)
            for r, c in (divmod(int(i), cols) for i in best)]


def mosaic(image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    """The tiles side by side in one image."""
    if len(boxes) == 1 and boxes[0] == (0, 0, image.width, image.height):
        return image
    out = Image.new(image.mode, (TILE * len(boxes), TILE))
    for index, box in enumerate(boxes):
        out.paste(image.crop(box), (index * TILE, 0))
    return out


class TileScorer:
    """The proxy score of ``image`` encoded at a quality: the tiles are chosen, and their luma
    and its window statistics computed, once for every format; each probe costs one small
    encode, decode and the statistics of the decoded tiles."""

    def __init__(self, image: Image.Image,
                 encode: Callable[[Image.Image, str, int], bytes]) -> None:
        self._encode = encode
        self._tiles = mosaic(image, tile_boxes(image))
        self._reference = luma(self._tiles)
        width = self._reference.shape[1]
        #: Each tile's width: the SSIM of a tile is the mean over the windows inside it.
        self._step = TILE if width > TILE and width % TILE == 0 else width
        self._windowed = min(self._reference.shape) >= WINDOW and self._step >= WINDOW
        if self._windowed:
            x = self._reference
            self._mx = _box_mean(x)
            self._vx = (_box_mean(x * x) - self._mx * self._mx) * _CORRECTION

    def score(self, fmt: str, quality: int) -> float:
        with Image.open(io.BytesIO(self._encode(self._tiles, fmt, quality))) as decoded:
            decoded.load()
            other = luma(decoded)
        return to_ssimulacra2(min(self.tile_ssims(other)))

    def tile_ssims(self, other: np.ndarray) -> list[float]:
        """Each tile's mean SSIM against the decoded mosaic ``other`` (what
        :func:`ssim_arrays` gives tile by tile, computed over the mosaic at once)."""
        x, width, step = self._reference, self._reference.shape[1], self._step
        if not self._windowed:
            return [ssim_arrays(x[:, at:at + step], other[:, at:at + step])
                    for at in range(0, width, step)]
        mx, vx, my = self._mx, self._vx, _box_mean(other)
        vy = (_box_mean(other * other) - my * my) * _CORRECTION
        cxy = (_box_mean(x * other) - mx * my) * _CORRECTION
        ssim_map = ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1)
                                                             * (vx + vy + C2))
        # Windows that straddle two tiles belong to neither.
        inside = step - WINDOW + 1
        return [float(ssim_map[:, at:at + inside].mean()) for at in range(0, width, step)]


def search(score: Callable[[int], float], target: float, start: int,
           bounds: tuple[int, int], max_probes: int = MAX_PROBES) -> Choice:
    """The lowest quality in ``bounds`` whose ``score`` reaches ``target``, by bisection from
    ``start`` in at most ``max_probes`` probes (scores rise with quality); the ceiling when
    no probed quality reaches it. Of the qualities known to reach the target, the lowest."""
    floor, ceiling = bounds
    low, high = floor, ceiling  # the answer is in [low, high]; high is the fallback
    known: dict[int, float] = {}
    quality = min(ceiling, max(floor, start))
    for _ in range(max_probes):
        known[quality] = score(quality)
        if known[quality] >= target:
            high = quality
        else:
            low = quality + 1
        if low >= high:
            break
        quality = (low + high) // 2
    passed = [q for q, value in known.items() if value >= target]
    if passed:
        best = min(passed)
        return Choice(best, round(known[best], 2), len(known))
    return Choice(ceiling, round(known[ceiling], 2) if ceiling in known else None, len(known))
