"""Deterministic JPEG sources for the image benchmarks, made from ``testdata/photos``.

Each source is one of the repository's photos cropped and upscaled (LANCZOS) to the wanted
size, with fixed pseudo-random grain (an upscaled photo is smooth, and a smooth JPEG is about
half the bytes and faster to decode than a real photo of its size), its channels rotated (a
cheap hue shift) and a numbered rectangle drawn on it, so no two share bytes or a
content-hash key. JPEG quality 90, as a phone or camera writes.
"""

from __future__ import annotations

import io
import random
from functools import cache

from PIL import Image, ImageChops, ImageDraw, ImageOps

from tests.support.photos import PHOTOS

QUALITY = 90
#: Amplitude of the grain added to the upscaled photos (of 128).
GRAIN = 8
#: Sizes the benchmarks name: ~2 MP, a 12 MP phone photo, 50 MP (IMAGE_MAX_PIXELS).
SIZES = {"2mp": (1632, 1224), "12mp": (4032, 3024), "50mp": (8660, 5773)}


def photo_paths() -> list:
    paths = sorted([*PHOTOS.glob("*.png"), *PHOTOS.glob("*.jpg")])
    if not paths:
        raise FileNotFoundError(f"no photos in {PHOTOS}")
    return paths


def open_photo(path) -> Image.Image:  # noqa: ANN001 - a Path
    """A test photo, upright, as RGB; a transparent one on white, as a product photo would be."""
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        return image.convert("RGB")


@cache
def _photos(size: tuple[int, int]) -> tuple[Image.Image, ...]:
    return tuple(ImageOps.fit(open_photo(path), size, Image.Resampling.LANCZOS)
                 for path in photo_paths())


@cache
def _grain(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Fixed pseudo-random sensor grain around 128, tiled to ``size``."""
    rng = random.Random(seed)
    tile = Image.frombytes("L", (500, 500), rng.randbytes(500 * 500))
    tile = tile.point(lambda v: 128 + (v - 128) * GRAIN // 128)
    grain = Image.new("L", size)
    for x in range(0, size[0], tile.width):
        for y in range(0, size[1], tile.height):
            grain.paste(tile, (x, y))
    return Image.merge("RGB", [grain] * 3)


def make_source(size: tuple[int, int], index: int) -> bytes:
    """The ``index``-th distinct JPEG source of ``size`` (width, height)."""
    photos = _photos(size)
    image = photos[index % len(photos)]
    bands = image.split()
    shift = (index // len(photos)) % 3
    image = Image.merge("RGB", bands[shift:] + bands[:shift])
    image = ImageChops.add(image, _grain(size), scale=1.0, offset=-128)
    draw = ImageDraw.Draw(image)
    rng = random.Random(index)
    box_w, box_h = size[0] // 7, size[1] // 6
    x, y = rng.randrange(0, size[0] - box_w), rng.randrange(0, size[1] - box_h)
    draw.rectangle((x, y, x + box_w, y + box_h), fill=tuple(rng.randrange(256) for _ in "rgb"))
    draw.text((x + 20, y + 20), f"#{index}", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY)
    return buffer.getvalue()


@cache
def make_sources(size: tuple[int, int], count: int) -> tuple[bytes, ...]:
    """``count`` distinct JPEG sources of ``size``."""
    return tuple(make_source(size, index) for index in range(count))
