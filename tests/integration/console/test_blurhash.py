"""The console's own BlurHash decoder (api/console/static/blurhash.js), run in Chromium,
paints what the reference implementation (the Python package the worker encodes with)
decodes, for landscape and portrait component counts."""

from __future__ import annotations

import blurhash
import pytest


def gradient(width: int, height: int) -> list[list[list[int]]]:
    return [[[255 * x // width, 255 * y // height, 255 - 255 * (x + y) // (width + height)]
             for x in range(width)] for y in range(height)]


@pytest.mark.parametrize("hash_, width, height", [
    ("LEHV6nWB2yk8pyo0adR*.7kCMdnj", 8, 6),
    (blurhash.encode(gradient(30, 40), components_x=3, components_y=4), 6, 8),
    (blurhash.encode(gradient(64, 16), components_x=4, components_y=3), 16, 4),
])
def test_the_decoder_paints_what_the_reference_decodes(console_factory, open_page, hash_,
                                                        width, height):
    console = console_factory()
    page = open_page().page
    page.goto(console.url)

    painted = page.evaluate("""async ([hash, width, height]) => {
        const { decode } = await import("/console/static/blurhash.js");
        return Array.from(decode(hash, width, height));
    }""", [hash_, width, height])

    reference = blurhash.decode(hash_, width, height)
    expected = [channel for row in reference for pixel in row for channel in (*pixel, 255)]
    assert len(painted) == len(expected)
    # Rounding may differ by one step between the two languages, never more.
    assert max(abs(a - b) for a, b in zip(painted, expected, strict=True)) <= 1
