"""Tests for jobs.metadata: lossless stripping of hostile metadata from JPEG, PNG and WebP.

The builders here make small sources full of GPS positions, camera serials, XMP, IPTC,
comments and text chunks; tests/unit/jobs/test_compress.py runs them through the worker's path.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from jobs.metadata import (
    NotStrippableError,
    png_bit_depth,
    strip_jpeg,
    strip_metadata,
    strip_png,
    strip_webp,
)
from tests.support.photos import PHOTOS

# Every secret a builder plants; the first two are in every hostile source.
SECRETS = (
    b"SECRET-GPS",
    b"HostileCam",
    b"SECRET-SERIAL",
    b"SECRET-XMP",
    b"SECRET-COMMENT",
    b"SECRET-IPTC",
    b"SECRET-AUTHOR",
    b"SECRET-ZTXT",
    b"SECRET-ITXT",
    b"SECRET-PRIVATE",
    b"SECRET-TRAILER",
    b"SECRET-THUMB",
)
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="48,51.48N SECRET-GPS" tiff:Make="HostileCam">SECRET-XMP'
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)
# Block names that must not survive, searched for as bytes in stripped files.
METADATA_MARKERS = (b"Exif\0\0", b"http://ns.adobe.com", b"Photoshop 3.0", b"tEXt", b"zTXt",
                    b"iTXt", b"tIME", b"eXIf", b"iCCP", b"EXIF", b"XMP ", b"ICCP")


def _photo_image(name: str) -> Image.Image:
    return Image.open(io.BytesIO((PHOTOS / name).read_bytes()))


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = _open(data)
    return image.mode, image.size, image.tobytes()


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def gps_exif() -> Image.Exif:
    """A phone's EXIF: camera make and model, body serial and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HostileCam"
    exif[ExifTags.Base.Model] = "HostileCam X1"
    exif[ExifTags.Base.Orientation] = 1
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = "SECRET-SERIAL"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (48.0, 51.0, 29.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (2.0, 17.0, 40.0),
            ExifTags.GPS.GPSDateStamp: "SECRET-GPS",
        }
    )
    return exif


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def hostile_jpeg(size: tuple[int, int] = (64, 43), quality: int = 30) -> bytes:
    """rocket.jpg, small, with EXIF GPS, XMP, a comment, IPTC, an sRGB profile and a trailer."""
    small = _photo_image("rocket.jpg").resize(size)
    data = _save(small, "JPEG", quality=quality, optimize=True, exif=gps_exif(), xmp=XMP,
                 comment=b"SECRET-COMMENT HostileCam", icc_profile=srgb_profile())
    iptc = _jpeg_segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\0\0\0\0\0\x10SECRET-IPTC     ")
    return data[:2] + iptc + data[2:] + b"SECRET-TRAILER"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_chunk_bodies(data: bytes, kind: bytes) -> list[bytes]:
    bodies, pos = [], 8
    while pos < len(data):
        length, found = struct.unpack(">I4s", data[pos : pos + 8])
        if found == kind:
            bodies.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return bodies


def hostile_png(secrets: bool = True) -> bytes:
    """chelsea.png, small and in 8 colours, with chelsea's own sRGB profile and XMP camera data;
    with ``secrets`` also text, compressed and international text, time, eXIf, a private chunk
    and a trailer."""
    chelsea = _photo_image("chelsea.png")
    info = PngImagePlugin.PngInfo()
    for body in _png_chunk_bodies((PHOTOS / "chelsea.png").read_bytes(), b"iTXt"):
        info.add(b"iTXt", body)  # XML:com.adobe.xmp, the camera's settings
    params: dict[str, object] = {"icc_profile": chelsea.info["icc_profile"], "pnginfo": info}
    if secrets:
        info.add_text("Author", "SECRET-AUTHOR")
        info.add_text("GPS", "48.8581 N 2.2945 E SECRET-GPS")
        info.add_text("Comment", "SECRET-ZTXT HostileCam", zip=True)
        info.add_itxt("Description", "SECRET-ITXT", lang="en", tkey="Description")
        info.add(b"tIME", struct.pack(">HBBBBB", 2024, 5, 6, 7, 8, 9))
        info.add(b"prVt", b"SECRET-PRIVATE")  # an ancillary, private chunk nobody knows
        params["exif"] = gps_exif()
    data = _save(chelsea.resize((24, 16)).quantize(8), "PNG", **params)
    return data + b"SECRET-TRAILER" if secrets else data


def hostile_webp() -> bytes:
    """rocket.jpg as a small WebP with EXIF GPS, XMP and an sRGB profile."""
    small = _photo_image("rocket.jpg").resize((48, 32))
    return _save(small, "WEBP", quality=30, exif=gps_exif(), xmp=XMP, icc_profile=srgb_profile())


def sixteen_bit_png(color: bool = False) -> bytes:
    """A flat 32x32 PNG at 16 bits per sample (grey or RGB), with an author's name."""
    channels = 3 if color else 1
    row = b"\0" + b"\x80\x00" * channels * 32
    header = struct.pack(">IIBBBBB", 32, 32, 16, 2 if color else 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"tEXt", b"Author\0SECRET-AUTHOR HostileCam SECRET-GPS")
        + _png_chunk(b"IDAT", zlib.compress(row * 32, 9))
        + _png_chunk(b"IEND", b"")
    )


def _assert_clean(stripped: bytes, source: bytes) -> None:
    assert _pixels(stripped) == _pixels(source)
    assert len(stripped) < len(source)
    stored = _open(stripped)
    assert not stored.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile", "photoshop", "XML:com.adobe.xmp"} & (
        stored.info.keys()
    )
    assert not getattr(stored, "text", {})
    for secret in (*SECRETS, *METADATA_MARKERS):
        assert secret not in stripped, secret


# --- the builders plant what they say ---------------------------------------------------------


def test_hostile_sources_carry_their_metadata():
    jpeg, png, webp = _open(hostile_jpeg()), _open(hostile_png()), _open(hostile_webp())

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
    data = _save(_photo_image("rocket.jpg").resize((80, 60)), "JPEG", progressive=True)
    second_scan = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)
    hidden = _jpeg_segment(0xFE, b"SECRET-COMMENT") + _jpeg_segment(0xE1, b"Exif\0\0SECRET-GPS")
    source = data[:second_scan] + hidden + data[second_scan:]
    assert _open(source).info["progressive"]
    # when / then
    _assert_clean(strip_jpeg(source), source)


def test_jfif_thumbnail_and_jfxx_are_dropped_and_adobe_is_kept():
    # given a CMYK JPEG (its Adobe segment says how to read the colours) with thumbnails
    data = _save(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG")
    jfif = _jpeg_segment(0xE0, b"JFIF\0\x01\x02\x01\0\x48\0\x48\x04\x01SECRET-THUMB")
    jfxx = _jpeg_segment(0xE0, b"JFXX\0\x13SECRET-THUMB")
    source = data[:2] + jfif + jfxx + data[2:]
    # when
    stripped = strip_jpeg(source)
    # then
    _assert_clean(stripped, source)
    assert _open(stripped).info["adobe"]
    assert _open(stripped).info["jfif_density"] == (72, 72)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n", id="not-jpeg"),
        pytest.param(_save(Image.new("RGB", (8, 8)), "JPEG")[:-2], id="no-eoi"),
        pytest.param(_save(Image.new("RGB", (8, 8)), "JPEG")[:40], id="truncated-segment"),
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
    source = _save(image, "PNG", transparency=0, pnginfo=info)

    stripped = strip_png(source)

    _assert_clean(stripped, source)
    assert _open(stripped).info["transparency"] == 0


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"GIF89a", id="not-png"),
        pytest.param(hostile_png()[:60], id="truncated"),
        pytest.param(
            _save(Image.new("RGB", (8, 8)), "PNG", save_all=True,
                  append_images=[Image.new("RGB", (8, 8), "red")]),
            id="animated",
        ),
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", bytes(13)) + _png_chunk(b"ZZZZ", b""),
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
        (_save(Image.new("RGB", (4, 4)), "PNG"), 8),
        (_save(Image.new("1", (4, 4)), "PNG"), 1),
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
    image = _photo_image("logo.png").resize((40, 40)).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, 10, 10))
    data = _save(image, "WEBP", lossless=lossless, quality=30, exif=gps_exif(), xmp=XMP,
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
    assert _open(stripped).mode == "RGBA"


def test_webp_that_cannot_be_walked_is_refused():
    frames = [Image.new("RGB", (8, 8)), Image.new("RGB", (8, 8), "red")]
    animated = _save(frames[0], "WEBP", save_all=True, append_images=frames[1:])

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
        strip_metadata(_save(Image.new("RGB", (4, 4)), "GIF"), "GIF")
