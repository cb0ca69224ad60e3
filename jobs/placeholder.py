"""What a client paints before any rendition loads: a BlurHash and the dominant colour.

Both come from a thumbnail of at most :data:`THUMBNAIL_SIDE` pixels, made from the ladder's
smallest rendition (already upright and sRGB), so they cost a few milliseconds whatever the
source's size. Transparent pixels count as the white they are shown on in a JPEG.
"""

from __future__ import annotations

from dataclasses import dataclass

import blurhash
from PIL import Image

from jobs.compress import flatten

THUMBNAIL_SIDE = 32
#: BlurHash components along the longer and the shorter side (docs/api.md: 4x3).
LONG_COMPONENTS, SHORT_COMPONENTS = 4, 3
#: Colours the thumbnail is reduced to before the most common one is taken.
PALETTE_COLOURS = 8


@dataclass(frozen=True)
class Placeholder:
    blurhash: str
    dominant_color: str  # "#rrggbb"


def thumbnail(image: Image.Image) -> Image.Image:
    """``image`` (normalized: RGB or RGBA) as RGB, at most THUMBNAIL_SIDE on its longer side."""
    small = flatten(image).convert("RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BOX)
    return small


def dominant_color(small: Image.Image) -> str:
    """The most common colour once the thumbnail is reduced to a few (median cut)."""
    reduced = small.quantize(PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    palette = reduced.getpalette() or []
    _, index = max(reduced.getcolors(PALETTE_COLOURS) or [(1, 0)])
    red, green, blue = palette[index * 3:index * 3 + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"


def placeholder(image: Image.Image) -> Placeholder:
    """The placeholder of a normalized image."""
    small = thumbnail(image)
    width, height = small.size
    raw = small.tobytes()
    rows = [[list(raw[(y * width + x) * 3:(y * width + x) * 3 + 3]) for x in range(width)]
            for y in range(height)]
    x_components, y_components = ((LONG_COMPONENTS, SHORT_COMPONENTS) if width >= height
                                  else (SHORT_COMPONENTS, LONG_COMPONENTS))
    return Placeholder(blurhash.encode(rows, x_components, y_components), dominant_color(small))
