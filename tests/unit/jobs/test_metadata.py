"""Tests for jobs.metadata: lossless stripping of hostile metadata from JPEG, PNG and WebP.

The builders here make small sources full of GPS positions, camera serials, XMP, IPTC,
comments and text chunks; tests/unit/jobs/test_compress.py runs them through the worker's path.
"""

from __future__ import annotations

import struct

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from jobs.metadata import (
    NotStrippableError,
    png_bit_depth,
    strip_jpeg,
    strip_metadata,
    strip_png,
    strip_webp,
)
from tests.support.hostile_images import (
    METADATA_MARKERS,
    SECRETS,
    XMP,
    gps_exif,
    hostile_jpeg,
    hostile_png,
    hostile_webp,
    jpeg_segment,
    opened,
    photo_image,
    pixel_data,
    png_chunk,
    saved,
    sixteen_bit_png,
    srgb_profile,
)
from tests.support.photos import PHOTOS


# Every secret a builder plants; the first two are in every hostile source.
def _assert_clean(stripped: bytes, source: bytes) -> None:
    assert pixel_data(stripped) == pixel_data(source)
    assert len(stripped) < len(source)
    stored = opened(stripped)
    assert not stored.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile", "photoshop", "XML:com.adobe.xmp"} & (
        stored.info.keys()
    )
    assert not getattr(stored, "text", {})
    for secret in (*SECRETS, *METADATA_MARKERS):
        assert secret not in stripped, secret


# --- the builders plant what they say ---------------------------------------------------------


def test_hostile_sources_carry_their_metadata():
    jpeg, png, webp = opened(hostile_jpeg()), opened(hostile_png()), opened(hostile_webp())

    assert jpeg.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSDateStamp] == "SECRET-GPS"
    assert {"xmp", "comment", "icc_profile", "photoshop"} <= jpeg.info.keys()
    assert {"Author", "GPS", "Comment", "Description", "XML:com.adobe.xmp"} <= png.text.keys()
    assert png.getexif()[ExifTags.Base.Make] == "HostileCam"
    assert webp.getexif()[ExifTags.Base.Make] == "HostileCam"
    assert {"xmp", "icc_profile"} <= webp.info.keys()


# --- JPEG ---------------------------------------------------------------------------------------


def test_jpeg_keeps_only_pixels():
    source = hostile_jpeg()

    _assert_clean(strip_jpeg(source), source)


def test_progressive_jpeg_loses_blocks_between_scans():
    # given a progressive JPEG with a comment and an APP1 between its scans
    data = saved(photo_image("rocket.jpg").resize((80, 60)), "JPEG", progressive=True)
    second_scan = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)
    hidden = jpeg_segment(0xFE, b"SECRET-COMMENT") + jpeg_segment(0xE1, b"Exif\0\0SECRET-GPS")
    source = data[:second_scan] + hidden + data[second_scan:]
    assert opened(source).info["progressive"]
    # when / then
    _assert_clean(strip_jpeg(source), source)


def test_jfif_thumbnail_and_jfxx_are_dropped_and_adobe_is_kept():
    # given a CMYK JPEG (its Adobe segment says how to read the colours) with thumbnails
    data = saved(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG")
    jfif = jpeg_segment(0xE0, b"JFIF\0\x01\x02\x01\0\x48\0\x48\x04\x01SECRET-THUMB")
    jfxx = jpeg_segment(0xE0, b"JFXX\0\x13SECRET-THUMB")
    source = data[:2] + jfif + jfxx + data[2:]
    # when
    stripped = strip_jpeg(source)
    # then
    _assert_clean(stripped, source)
    assert opened(stripped).info["adobe"]
    assert opened(stripped).info["jfif_density"] == (72, 72)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n", id="not-jpeg"),
        pytest.param(saved(Image.new("RGB", (8, 8)), "JPEG")[:-2], id="no-eoi"),
        pytest.param(saved(Image.new("RGB", (8, 8)), "JPEG")[:40], id="truncated-segment"),
        pytest.param(b"\xff\xd8\xff\xd8", id="second-soi"),
    ],
)
def test_jpeg_that_cannot_be_walked_is_refused(source):
    with pytest.raises(NotStrippableError):
        strip_jpeg(source)


# --- PNG ----------------------------------------------------------------------------------------


def test_png_keeps_only_pixels():
    source = hostile_png()

    _assert_clean(strip_png(source), source)


def test_repository_photo_chunks_are_dropped():
    # chelsea.png as shipped: its sRGB iCCP and XMP iTXt (the camera's settings) go
    source = (PHOTOS / "chelsea.png").read_bytes()

    stripped = strip_png(source)

    _assert_clean(stripped, source)
    assert b"exif:" not in stripped


def test_png_transparency_and_palette_are_kept():
    image = Image.new("P", (16, 16), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (8, 0, 16, 16))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SECRET-AUTHOR")
    source = saved(image, "PNG", transparency=0, pnginfo=info)

    stripped = strip_png(source)

    _assert_clean(stripped, source)
    assert opened(stripped).info["transparency"] == 0


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"GIF89a", id="not-png"),
        pytest.param(hostile_png()[:60], id="truncated"),
        pytest.param(
            saved(Image.new("RGB", (8, 8)), "PNG", save_all=True,
                  append_images=[Image.new("RGB", (8, 8), "red")]),
            id="animated",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", bytes(13)) + png_chunk(b"ZZZZ", b""),
            id="unknown-critical-chunk",
        ),
    ],
)
def test_png_that_cannot_be_walked_is_refused(source):
    with pytest.raises(NotStrippableError):
        strip_png(source)


@pytest.mark.parametrize(
    ("source", "bits"),
    [
        (sixteen_bit_png(), 16),
        (sixteen_bit_png(color=True), 16),
        (saved(Image.new("RGB", (4, 4)), "PNG"), 8),
        (saved(Image.new("1", (4, 4)), "PNG"), 1),
    ],
)
def test_png_bit_depth(source, bits):
    assert png_bit_depth(source) == bits


# --- WebP ---------------------------------------------------------------------------------------


def _webp_chunks(data: bytes) -> list[bytes]:
    kinds, pos = [], 12
    while pos < len(data):
        kind, size = struct.unpack("<4sI", data[pos : pos + 8])
        kinds.append(kind)
        pos += 8 + size + (size & 1)
    return kinds


@pytest.mark.parametrize("lossless", [False, True])
def test_webp_keeps_only_pixels(lossless):
    # given a WebP with alpha, metadata and a chunk nobody knows (odd-sized: padded)
    image = photo_image("logo.png").resize((40, 40)).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 10, 10))
    data = saved(image, "WEBP", lossless=lossless, quality=30, exif=gps_exif(), xmp=XMP,
                 icc_profile=srgb_profile())
    unknown = b"prVt" + struct.pack("<I", 15) + b"SECRET-PRIVATE!\0"
    body = data[12:] + unknown
    source = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body + b"SECRET-TRAILER"
    # when
    stripped = strip_webp(source)
    # then
    _assert_clean(stripped, source)
    assert struct.unpack("<I", stripped[4:8])[0] == len(stripped) - 8
    assert _webp_chunks(stripped)[0] == b"VP8X"
    assert stripped[20] & 0x2C == 0  # no ICC, EXIF or XMP announced
    assert opened(stripped).mode == "RGBA"


def test_webp_that_cannot_be_walked_is_refused():
    frames = [Image.new("RGB", (8, 8)), Image.new("RGB", (8, 8), "red")]
    animated = saved(frames[0], "WEBP", save_all=True, append_images=frames[1:])

    for source in (b"RIFF\0\0\0\0WAVE", hostile_webp()[:-10], animated):
        with pytest.raises(NotStrippableError):
            strip_webp(source)


# --- any format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_source", "pil_format"),
    [(hostile_jpeg, "JPEG"), (hostile_png, "PNG"), (hostile_webp, "WEBP")],
)
def test_stripping_twice_changes_nothing_more(make_source, pil_format):
    once = strip_metadata(make_source(), pil_format)

    assert strip_metadata(once, pil_format) == once


def test_other_formats_are_refused():
    with pytest.raises(NotStrippableError):
        strip_metadata(saved(Image.new("RGB", (4, 4)), "GIF"), "GIF")
