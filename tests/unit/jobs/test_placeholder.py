"""jobs.placeholder: the BlurHash decodes, with BlurHash's own decoder, to the source's look."""

from __future__ import annotations

import blurhash
import pytest
from PIL import Image, ImageStat

from jobs.compress import normalize
from jobs.placeholder import THUMBNAIL_SIDE, placeholder, thumbnail
from tests.support.hostile_images import photo_image


def mean_colour(image: Image.Image) -> list[float]:
    return ImageStat.Stat(image.convert("RGB")).mean


def decoded(hash_: str, width: int, height: int) -> Image.Image:
    rows = blurhash.decode(hash_, width, height)
    image = Image.new("RGB", (width, height))
    image.putdata([tuple(int(v) for v in pixel[:3]) for row in rows for pixel in row])
    return image


@pytest.mark.parametrize("name", ["rocket.jpg", "coffee.png", "chelsea.png", "logo.png"])
def test_the_blurhash_decodes_to_an_image_of_the_sources_mean_colour(name):
    source = normalize(photo_image(name))

    result = placeholder(source)

    width, height = source.size
    assert blurhash.components(result.blurhash) == ((4, 3) if width >= height else (3, 4))
    expected = mean_colour(thumbnail(source))
    actual = mean_colour(decoded(result.blurhash, 32, 24))
    # BlurHash averages in linear light, which lifts a contrasty photo's sRGB mean a little
    assert all(abs(a - e) < 20 for a, e in zip(actual, expected, strict=True)), (actual, expected)


def test_components_follow_the_longer_side():
    assert blurhash.components(placeholder(Image.new("RGB", (30, 90))).blurhash) == (3, 4)
    assert blurhash.components(placeholder(Image.new("RGB", (90, 30))).blurhash) == (4, 3)


def test_the_dominant_colour_is_the_most_common_one():
    image = Image.new("RGB", (40, 40), (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, 40, 8))  # a fifth blue, the rest red

    colour = placeholder(image).dominant_color

    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    assert colour.startswith("#") and len(colour) == 7
    assert red > 180 and green < 60 and blue < 60


def test_transparency_counts_as_white_and_the_thumbnail_is_small():
    clear = Image.new("RGBA", (400, 100), (0, 0, 0, 0))
    assert placeholder(clear).dominant_color == "#ffffff"
    assert max(thumbnail(clear).size) == THUMBNAIL_SIDE
