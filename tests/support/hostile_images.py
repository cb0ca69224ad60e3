"""Images built to carry metadata that must never reach the public bucket (GPS, camera
serials, text chunks), and the image helpers the compression and metadata tests share."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from tests.support.photos import PHOTOS

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


def photo_image(name: str) -> Image.Image:
    return Image.open(io.BytesIO((PHOTOS / name).read_bytes()))


def saved(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pixel_data(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = opened(data)
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


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def hostile_jpeg(size: tuple[int, int] = (64, 43), quality: int = 30) -> bytes:
    """rocket.jpg, small, with EXIF GPS, XMP, a comment, IPTC, an sRGB profile and a trailer."""
    small = photo_image("rocket.jpg").resize(size)
    data = saved(small, "JPEG", quality=quality, optimize=True, exif=gps_exif(), xmp=XMP,
                 comment=b"SECRET-COMMENT HostileCam", icc_profile=srgb_profile())
    iptc = jpeg_segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\0\0\0\0\0\x10SECRET-IPTC     ")
    return data[:2] + iptc + data[2:] + b"SECRET-TRAILER"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_chunk_bodies(data: bytes, kind: bytes) -> list[bytes]:
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
    chelsea = photo_image("chelsea.png")
    info = PngImagePlugin.PngInfo()
    for body in png_chunk_bodies((PHOTOS / "chelsea.png").read_bytes(), b"iTXt"):
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
    data = saved(chelsea.resize((24, 16)).quantize(8), "PNG", **params)
    return data + b"SECRET-TRAILER" if secrets else data


def hostile_webp() -> bytes:
    """rocket.jpg as a small WebP with EXIF GPS, XMP and an sRGB profile."""
    small = photo_image("rocket.jpg").resize((48, 32))
    return saved(small, "WEBP", quality=30, exif=gps_exif(), xmp=XMP, icc_profile=srgb_profile())


def sixteen_bit_png(color: bool = False) -> bytes:
    """A flat 32x32 PNG at 16 bits per sample (grey or RGB), with an author's name."""
    channels = 3 if color else 1
    row = b"\0" + b"\x80\x00" * channels * 32
    header = struct.pack(">IIBBBBB", 32, 32, 16, 2 if color else 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"tEXt", b"Author\0SECRET-AUTHOR HostileCam SECRET-GPS")
        + png_chunk(b"IDAT", zlib.compress(row * 32, 9))
        + png_chunk(b"IEND", b"")
    )
