"""Remove every metadata block from a JPEG, PNG or WebP file without touching its pixels.

Used when a source's own bytes are stored (re-encoding could not shrink it): EXIF GPS
positions, camera serials, XMP, IPTC, comments and text chunks must never reach the public
bucket. Each stripper keeps an allow-list of the structures needed to render the image, so an
unknown or private block is dropped rather than passed on, and copies those as they are.
Anything it cannot vouch for raises :class:`NotStrippableError`; the caller re-encodes instead.
ICC profiles are dropped too: only sRGB or untagged sources are kept, and untagged means sRGB.
"""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Critical chunks plus tRNS (transparency is pixels). Colour chunks (sRGB, gAMA, cHRM, iCCP)
# go: the caller only keeps sRGB sources, and untagged PNGs render as sRGB.
PNG_KEPT_CHUNKS = (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND")
# APNG: dropping these could show a different picture than the one we decoded.
PNG_ANIMATION_CHUNKS = (b"acTL", b"fcTL", b"fdAT")

# JPEG markers that stand alone, without a length: TEM and the restart markers.
JPEG_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])
JPEG_SOI, JPEG_EOI, JPEG_SOS = 0xD8, 0xD9, 0xDA
JPEG_APP0, JPEG_APP14, JPEG_COM = 0xE0, 0xEE, 0xFE
JPEG_APPS = range(0xE0, 0xF0)

WEBP_KEPT_CHUNKS = (b"VP8X", b"ALPH", b"VP8 ", b"VP8L")
WEBP_ANIMATION_CHUNKS = (b"ANIM", b"ANMF")
# VP8X flags: ICC profile, EXIF and XMP present; cleared with their chunks.
WEBP_METADATA_FLAGS = 0x20 | 0x08 | 0x04


class NotStrippableError(ValueError):
    """The file's layout is not one this module can strip with certainty."""


def strip_metadata(data: bytes, pil_format: str) -> bytes:
    """``data`` without its metadata; ``pil_format`` is Pillow's name for what it is."""
    strippers = {"JPEG": strip_jpeg, "PNG": strip_png, "WEBP": strip_webp}
    if pil_format not in strippers:
        raise NotStrippableError(f"no metadata stripper for {pil_format!r}")
    return strippers[pil_format](data)


def strip_jpeg(data: bytes) -> bytes:
    """Keep SOI, the coding segments, JFIF (without thumbnail), Adobe, scans and EOI."""
    if not data.startswith(b"\xff\xd8"):
        raise NotStrippableError("no JPEG start marker")
    out = [b"\xff\xd8"]
    pos = 2
    while True:
        marker, pos = _jpeg_marker(data, pos)
        if marker == JPEG_EOI:
            # Anything after EOI (appended images, motion-photo videos) is dropped.
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in JPEG_STANDALONE or marker == JPEG_SOI:
            raise NotStrippableError(f"unexpected JPEG marker 0x{marker:02x}")
        if pos + 2 > len(data):
            raise NotStrippableError("truncated JPEG segment")
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        end = pos + length
        if length < 2 or end > len(data):
            raise NotStrippableError("truncated JPEG segment")
        payload = data[pos + 2 : end]
        kept = _kept_jpeg_segment(marker, payload)
        if kept is not None:
            out.append(kept)
        pos = end
        if marker == JPEG_SOS:
            scan_end = _jpeg_scan_end(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end


def _jpeg_marker(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data) or data[pos] != 0xFF:
        raise NotStrippableError("JPEG marker expected")
    while pos < len(data) and data[pos] == 0xFF:  # fill bytes may pad any marker
        pos += 1
    if pos >= len(data):
        raise NotStrippableError("truncated JPEG marker")
    return data[pos], pos + 1


def _kept_jpeg_segment(marker: int, payload: bytes) -> bytes | None:
    if marker == JPEG_APP0:
        if not payload.startswith(b"JFIF\0") or len(payload) < 14:
            return None  # JFXX and others: thumbnails or vendor data
        # Version, units and density only: the embedded thumbnail could be any picture.
        return _jpeg_segment(marker, payload[:12] + b"\0\0")
    if marker == JPEG_APP14:
        # Adobe's colour transform tells decoders whether the data is RGB or YCbCr.
        return _jpeg_segment(marker, payload[:12]) if payload.startswith(b"Adobe") else None
    if marker in JPEG_APPS or marker == JPEG_COM:
        return None  # EXIF, XMP, ICC, IPTC/Photoshop, comments and vendor blocks
    return _jpeg_segment(marker, payload)


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg_scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data starting at ``pos`` ends: at the next real marker."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise NotStrippableError("JPEG scan without an end")
        following = data[pos + 1]
        # FF00 is an escaped FF byte, RSTn sit inside the scan, FFFF is fill before a marker.
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos += 2
        elif following == 0xFF:
            pos += 1
        else:
            return pos


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk up to IEND, ``end`` past its CRC."""
    if not data.startswith(PNG_SIGNATURE):
        raise NotStrippableError("no PNG signature")
    chunks = []
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise NotStrippableError("truncated PNG chunk")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise NotStrippableError("truncated PNG chunk")
        chunks.append((kind, pos, end))
        if kind == b"IEND":
            return chunks  # bytes after IEND are no part of the image
        pos = end


def png_bit_depth(data: bytes) -> int:
    """Bits per sample (per palette index for palette images) from the IHDR chunk."""
    start = len(PNG_SIGNATURE)
    if not data.startswith(PNG_SIGNATURE) or data[start : start + 8] != b"\0\0\0\rIHDR":
        raise NotStrippableError("PNG does not start with IHDR")
    return data[start + 16]


def strip_png(data: bytes) -> bytes:
    """Keep IHDR, PLTE, tRNS, IDAT and IEND, each with its own CRC as it was."""
    out = [PNG_SIGNATURE]
    for kind, start, end in _png_chunks(data):
        if kind in PNG_ANIMATION_CHUNKS:
            raise NotStrippableError("animated PNG")
        if kind in PNG_KEPT_CHUNKS:
            out.append(data[start:end])
        elif kind[0] & 0x20 == 0:  # an upper-case first letter: a chunk needed to decode
            raise NotStrippableError(f"unknown critical PNG chunk {kind!r}")
    return b"".join(out)


def strip_webp(data: bytes) -> bytes:
    """Keep VP8X (metadata flags cleared), ALPH and the bitstream; fix the RIFF size."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise NotStrippableError("not a RIFF WebP file")
    (riff_size,) = struct.unpack("<I", data[4:8])
    riff_end = 8 + riff_size
    if riff_end > len(data):
        raise NotStrippableError("truncated RIFF file")
    chunks = []
    pos = 12
    while pos < riff_end:
        if pos + 8 > riff_end:
            raise NotStrippableError("truncated WebP chunk")
        kind, size = struct.unpack("<4sI", data[pos : pos + 8])
        end = pos + 8 + size + (size & 1)  # chunks are padded to an even size
        if end > riff_end:
            raise NotStrippableError("truncated WebP chunk")
        if kind in WEBP_ANIMATION_CHUNKS:
            raise NotStrippableError("animated WebP")
        if kind == b"VP8X":
            if size < 10:
                raise NotStrippableError("short VP8X chunk")
            flags = data[pos + 8] & ~WEBP_METADATA_FLAGS
            chunks.append(data[pos : pos + 8] + bytes([flags]) + data[pos + 9 : end])
        elif kind in WEBP_KEPT_CHUNKS:
            chunks.append(data[pos:end])
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
