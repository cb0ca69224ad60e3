"""Images as media through a real worker (docs/api.md): every test photo through the
ladder, each rendition fetched by its URL and checked against what is recorded of it."""

from __future__ import annotations

import io
import re

import blurhash
import pytest
import requests
from PIL import Image, ImageStat

from jobs.compress import normalize
from jobs.placeholder import thumbnail
from tests.support.hostile_images import gps_exif, saved
from tests.support.photos import PHOTOS
from tests.support.pipeline import create, wait_until_settled

pytestmark = pytest.mark.usefixtures("worker")

MAGIC = {"jpeg": (b"\xff\xd8\xff",), "webp": (b"RIFF",), "avif": (b"ftypavif",),
         "png": (b"\x89PNG",)}
CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif",
                 "png": "image/png"}
WIDTHS = (320, 640, 1024, 1600)  # the default ladder


def fetched(url: str) -> tuple[bytes, requests.Response]:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, url
    return response.content, response


def check_rendition(rendition: dict, source_width: int) -> Image.Image:
    data, response = fetched(rendition["url"])
    assert response.headers["Content-Type"] == CONTENT_TYPES[rendition["format"]]
    assert any(magic in data[:12] for magic in MAGIC[rendition["format"]]), rendition
    assert rendition["bytes"] == len(data)
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == (rendition["width"], rendition["height"])
    assert rendition["width"] <= source_width
    assert not image.getexif() and not image.info.get("icc_profile")  # untagged: sRGB
    return image


def srcset_widths(value: str) -> list[int]:
    entries = [entry.strip().rsplit(" ", 1) for entry in value.split(",")]
    assert all(re.fullmatch(r"https?://\S+", url) for url, _ in entries), value
    return [int(descriptor.removesuffix("w")) for _, descriptor in entries]


def test_every_photo_gets_its_whole_ladder_in_every_format(api, account, images):
    names = [path.name for path in sorted(PHOTOS.glob("*.*"))
             if path.suffix in (".png", ".jpg", ".gif")]
    urls = [images.add(name, (PHOTOS / name).read_bytes()) for name in names]

    product = wait_until_settled(api, create(api, account, urls)["id"])

    assert product["image_status"] == "done", product["image_errors"]
    for name, url, image, copy in zip(names, urls, product["images"],
                                      product["compressed_product_images"], strict=True):
        with Image.open(PHOTOS / name) as source:
            upright = normalize(source)
        assert image["source_url"] == url and image["status"] == "ready", name
        assert image["source_bytes"] == len((PHOTOS / name).read_bytes()), name
        assert (image["width"], image["height"]) == upright.size
        assert image["error"] is None and re.fullmatch(r"r[0-9a-f]{12}", image["revision"])
        expected_widths = sorted({min(w, upright.width) for w in WIDTHS})
        for fmt in ("avif", "webp", "jpeg"):
            assert srcset_widths(image["srcset"][fmt]) == expected_widths, (name, fmt)
        for rendition in image["renditions"]:
            check_rendition(rendition, upright.width)
        # compressed_product_images[i] is the required format's (or kept source's) largest
        largest = max((r for r in image["renditions"] if r["format"] not in ("avif", "webp")),
                      key=lambda r: r["width"])
        assert copy == largest["url"]
        # the placeholder decodes to the look of the source
        rows = blurhash.decode(image["placeholder"]["blurhash"], 16, 12)
        decoded = [channel for row in rows for pixel in row for channel in pixel[:3]]
        means = [sum(decoded[i::3]) / (len(decoded) / 3) for i in range(3)]
        expected = ImageStat.Stat(thumbnail(upright).convert("RGB")).mean
        assert all(abs(a - e) < 25 for a, e in zip(means, expected, strict=True)), name
        assert re.fullmatch(r"#[0-9a-f]{6}", image["placeholder"]["dominant_color"])


def test_a_portrait_a_narrow_source_and_alpha(api, account, images):
    exif = gps_exif()
    exif[0x0112] = 6  # a 3000x2000 file shown as a 2000x3000 portrait
    with Image.open(PHOTOS / "rocket.jpg") as rocket:
        portrait = saved(rocket.convert("RGB").resize((3000, 2000)), "JPEG", quality=90,
                         exif=exif)
        narrow = saved(rocket.convert("RGB").resize((200, 133)), "JPEG", quality=90)
    clear = Image.new("RGBA", (700, 500), (255, 0, 0, 0))
    clear.paste((0, 0, 255, 255), (100, 100, 600, 400))
    urls = [images.add("portrait.jpg", portrait), images.add("narrow.jpg", narrow),
            images.add("clear.png", saved(clear, "PNG"))]

    product = wait_until_settled(api, create(api, account, urls)["id"])

    assert product["image_status"] == "done", product["image_errors"]
    tall, small, transparent = product["images"]
    # the cap is on the longest side: 1600 tall makes the largest 1067 wide
    assert (tall["width"], tall["height"]) == (2000, 3000)
    assert srcset_widths(tall["srcset"]["jpeg"]) == [320, 640, 1024, 1067]
    assert max(r["height"] for r in tall["renditions"]) == 1600
    # narrower than the smallest width: one rendition per format, at its own width
    assert {(r["format"], r["width"]) for r in small["renditions"]} == {
        ("avif", 200), ("webp", 200), ("jpeg", 200)}
    for rendition in transparent["renditions"]:
        image = check_rendition(rendition, 700)
        corner = image.convert("RGBA").getpixel((5, 5))
        if rendition["format"] in ("avif", "webp", "png"):  # png: the kept source itself
            assert corner[3] < 16, rendition["format"]
        else:
            assert min(corner[:3]) > 240  # JPEG flattens on white
