"""Synthetic renders for the target-quality corpus (issue 14): text, line art, a chart and a
flat logo, drawn with Pillow from fixed numbers, so every run makes the same pixels and
nothing is downloaded. They stand for what a catalog gets besides photos (size charts,
diagrams, brand marks): flat colour and hard edges, where JPEG rings and a photo-tuned
quality search is most likely to go wrong.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

WORDS = ("cotton linen wool blend size chart machine wash cold tumble dry low do not bleach "
         "iron medium heat width height depth weight colour navy stone olive care "
         "instructions product code sleeve chest waist hip inseam").split()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's own default font (Aileron, bundled with Pillow), so no system font is needed.
    return ImageFont.load_default(size=size)


def text_page(size: tuple[int, int] = (1200, 800)) -> Image.Image:
    """Black text on white in three sizes: a heading, body copy and small print."""
    rng = random.Random(11)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, 30), "Care and size guide", font=_font(48), fill=(20, 20, 20))
    y = 110
    for font_size in (22, 16, 12):
        font = _font(font_size)
        while y < size[1] * (0.45 if font_size == 22 else 0.8 if font_size == 16 else 0.95):
            line = " ".join(rng.choice(WORDS) for _ in range(60))
            draw.text((40, y), line, font=font, fill=(30, 30, 30))
            y += int(font_size * 1.5)
    return image


def line_art(size: tuple[int, int] = (1000, 1000)) -> Image.Image:
    """A technical drawing: thin black lines, circles and hatching on off-white."""
    rng = random.Random(7)
    image = Image.new("RGB", size, (250, 249, 245))
    draw = ImageDraw.Draw(image)
    w, h = size
    for _ in range(40):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        draw.line((x0, y0, x0 + rng.randrange(-300, 300), y0 + rng.randrange(-300, 300)),
                  fill="black", width=rng.choice((1, 1, 2, 3)))
    for _ in range(15):
        cx, cy, r = rng.randrange(w), rng.randrange(h), rng.randrange(20, 160)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline="black", width=2)
    for x in range(100, 400, 8):  # hatching: the finest detail, where encoders blur first
        draw.line((x, 600, x + 120, 900), fill=(40, 40, 40), width=1)
    return image


def chart(size: tuple[int, int] = (1200, 700)) -> Image.Image:
    """A bar chart with axes, grid, labels and a line series in flat colours."""
    rng = random.Random(3)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    w, h = size
    left, bottom, top, right = 90, h - 70, 60, w - 40
    font = _font(16)
    draw.text((left, 15), "Units sold by month", font=_font(28), fill="black")
    for step in range(6):
        y = bottom - step * (bottom - top) // 5
        draw.line((left, y, right, y), fill=(220, 220, 220))
        draw.text((20, y - 8), f"{step * 200}", font=font, fill=(60, 60, 60))
    draw.line((left, top, left, bottom), fill="black", width=2)
    draw.line((left, bottom, right, bottom), fill="black", width=2)
    months = 12
    slot = (right - left) // months
    colours = ((31, 119, 180), (255, 127, 14), (44, 160, 44))
    points = []
    for month in range(months):
        value = rng.randrange(150, 950)
        x = left + month * slot + slot // 5
        y = bottom - value * (bottom - top) // 1000
        draw.rectangle((x, y, x + slot * 3 // 5, bottom - 1), fill=colours[month % 3])
        draw.text((x, bottom + 10), f"M{month + 1}", font=font, fill="black")
        points.append((x + slot * 3 // 10, bottom - (value // 2) * (bottom - top) // 1000))
    draw.line(points, fill=(214, 39, 40), width=3)
    return image


def flat_logo(size: tuple[int, int] = (800, 800)) -> Image.Image:
    """A brand mark: flat discs and a ring, a star and a word mark on a coloured field."""
    image = Image.new("RGB", size, (18, 52, 86))
    draw = ImageDraw.Draw(image)
    w, h = size
    cx, cy = w // 2, h * 2 // 5
    draw.ellipse((cx - 250, cy - 250, cx + 250, cy + 250), fill=(245, 180, 0))
    draw.ellipse((cx - 200, cy - 200, cx + 200, cy + 200), outline="white", width=14)
    star = [(cx + (150 if k % 2 == 0 else 60) * math.sin(k * math.pi / 5),
             cy - (150 if k % 2 == 0 else 60) * math.cos(k * math.pi / 5)) for k in range(10)]
    draw.polygon(star, fill=(200, 30, 45))
    draw.text((cx, h - 110), "NORTHWIND", font=_font(90), fill="white", anchor="mm")
    return image


def product_card(size: tuple[int, int] = (640, 400)) -> Image.Image:
    """A small UI-like card: a gradient band, a price in large type, buttons and fine print."""
    image = Image.new("RGB", size, (248, 248, 250))
    draw = ImageDraw.Draw(image)
    w, h = size
    for x in range(w):  # a smooth gradient next to hard edges: banding and ringing both show
        draw.line((x, 0, x, 90), fill=(40 + x * 150 // w, 90, 200 - x * 120 // w))
    draw.text((24, 110), "Linen shirt, navy", font=_font(30), fill=(20, 20, 20))
    draw.text((24, 160), "EUR 49.90", font=_font(56), fill=(190, 20, 40))
    draw.rounded_rectangle((24, 260, 260, 320), radius=12, fill=(20, 110, 60))
    draw.text((142, 290), "Add to basket", font=_font(22), fill="white", anchor="mm")
    draw.text((24, 350), "Free returns within 30 days. Sizes XS-XXL. 100 % linen.",
              font=_font(13), fill=(90, 90, 90))
    return image


#: Kind -> renderer; the benchmark reports each kind.
RENDERS: dict[str, Callable[[], Image.Image]] = {
    "text": text_page,
    "line-art": line_art,
    "chart": chart,
    "logo": flat_logo,
    "ui": product_card,
}
