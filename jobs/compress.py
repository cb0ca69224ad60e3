"""Decode a downloaded product image and bring it to upright 8-bit sRGB; and the rule for
when the source's own bytes, metadata stripped (:mod:`jobs.metadata`), may stand in for a
re-encoded rendition (docs/api.md). :mod:`jobs.ladder` builds every rendition on these.

Anything that is not a supported image, or would be unsafe to decode, raises
:class:`~jobs.errors.ImageRejectedError`.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageOps

from jobs.errors import ImageRejectedError
from jobs.metadata import NotStrippableError, png_bit_depth, strip_metadata
from models.failures import FailureCode

try:
    from PIL import ImageCms
except ImportError:  # Pillow built without littlecms: colours stay as decoded
    ImageCms = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

# Pillow's names for the formats we decode; identified by content, never by name or header.
DECODABLE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")
# Pillow names many phone JPEGs MPO (extra images appended); they decode as JPEG.
JPEG_FORMATS = ("JPEG", "MPO")
# Source formats whose own bytes may be stored, with their content type and extension.
# MPO is left out: its appended images are bytes nobody is shown.
KEEPABLE_SOURCES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
NEAREST_ONLY_MODES = ("1", "P", "PA")  # modes Pillow's resize cannot filter in
HIGH_BIT_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")
WHITE = (255, 255, 255)
# PNG gAMA and cHRM (white x, y, red x, y, green x, y, blue x, y) values that mean sRGB.
SRGB_GAMMA = 1 / 2.2
SRGB_CHROMATICITY = (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06)
# Malformed input surfaces from Pillow's decoders as any of these, not only as OSError.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error)


@dataclass(frozen=True)
class CompressOptions:
    """The limits of decoding (IMAGE_MAX_PIXELS, IMAGE_MAX_DIMENSION: the longest side)."""

    max_pixels: int = 50_000_000
    max_dimension: int = 1600

    def __post_init__(self) -> None:
        # A bad setting should fail at startup, not be blamed on every product's image.
        if self.max_dimension < 1 or self.max_pixels < 1:
            raise ValueError(f"invalid decode options {self!r}")


@dataclass(frozen=True)
class SourceInfo:
    """What the source file itself is, before draft scaling and orientation."""

    format: str  # Pillow's name for the real format, e.g. "JPEG"
    width: int
    height: int
    orientation: int  # EXIF orientation, 1 when absent
    animated: bool
    bits: int  # bits per sample (PNG can have 16)
    srgb: bool  # tagged sRGB or untagged, which renders as sRGB


def decode(source: bytes, options: CompressOptions) -> tuple[Image.Image, SourceInfo]:
    """Identify and decode ``source`` (first frame only), refusing unsafe or unknown input."""
    try:
        image = Image.open(io.BytesIO(source), formats=DECODABLE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        # Pillow's own limit (its warning is an exception only under an "error" filter).
        raise ImageRejectedError("image has too many pixels",
                                 code=FailureCode.TOO_MANY_PIXELS) from e
    except DECODE_ERRORS as e:
        raise ImageRejectedError("not an image in a supported format",
                                 code=FailureCode.NOT_AN_IMAGE) from e
    width, height = image.size
    # Checked on the header's size so a small file cannot make us allocate a huge bitmap;
    # Pillow's global limit still applies if someone lowered it.
    limit = min(options.max_pixels, Image.MAX_IMAGE_PIXELS or options.max_pixels)
    if width * height > limit:
        raise ImageRejectedError(f"image has too many pixels ({width}x{height})",
                                 code=FailureCode.TOO_MANY_PIXELS)
    if image.format in JPEG_FORMATS and max(width, height) > options.max_dimension:
        # libjpeg scales by 1/2..1/8 while decoding, to no less than the size we resize to.
        image.draft("RGB", fit(width, height, options.max_dimension))
    try:
        image.load()
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        # Only asked where it matters: for GIF it means seeking through frames.
        animated = image.format in KEEPABLE_SOURCES and getattr(image, "is_animated", False)
        bits = _bits(source, image.format)
    except DECODE_ERRORS as e:
        raise corrupt() from e
    info = SourceInfo(
        image.format or "", width, height, orientation, bool(animated), bits, is_srgb(image)
    )
    return image, info


def corrupt() -> ImageRejectedError:
    """The rejection of a source that identified as an image but would not decode."""
    return ImageRejectedError("image data is corrupt or truncated", code=FailureCode.NOT_AN_IMAGE)


def _bits(source: bytes, pil_format: str | None) -> int:
    if pil_format != "PNG":
        return 8  # Pillow refuses 12-bit JPEGs; WebP is 8-bit; the rest are never kept
    try:
        return png_bit_depth(source)
    except NotStrippableError:
        return 16  # Pillow decoded it, but we cannot tell: treat it as not keepable


def is_srgb(image: Image.Image) -> bool:
    """Whether the image's colour tags (ICC profile, PNG gAMA/cHRM) say sRGB, or are absent."""
    icc_profile = image.info.get("icc_profile")
    if icc_profile:
        return _is_srgb_profile(icc_profile)
    if "srgb" in image.info:  # PNG's sRGB chunk overrides its gAMA and cHRM
        return True
    gamma = image.info.get("gamma")
    chromaticity = image.info.get("chromaticity")
    return (gamma is None or abs(gamma - SRGB_GAMMA) < 0.005) and (
        chromaticity is None
        or all(abs(a - b) < 0.005 for a, b in zip(chromaticity, SRGB_CHROMATICITY, strict=True))
    )


def _is_srgb_profile(icc_profile: bytes) -> bool:
    if ImageCms is None:
        return False  # unreadable: re-encoding at least drops it
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        # The name is a good enough test; _to_srgb trusts it the same way.
        return "srgb" in ImageCms.getProfileDescription(profile).lower()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return False


def normalize(image: Image.Image) -> Image.Image:
    """Upright, 8-bit sRGB: RGBA when the image has real transparency, otherwise RGB."""
    icc_profile = image.info.get("icc_profile")
    if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        image = ImageOps.exif_transpose(image)  # only when needed: otherwise it copies
    if image.mode in HIGH_BIT_MODES:
        image = _to_8bit(image)
    target = "RGBA" if image.has_transparency_data else "RGB"
    if image.mode not in (target, "CMYK"):  # CMYK waits for its profile, if any
        image = image.convert(target)
    if icc_profile and ImageCms is not None:
        image = _to_srgb(image, icc_profile, target)
    if image.mode != target:
        image = image.convert(target)
    if target == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # an unused alpha channel only costs bytes
    return image


def _to_8bit(image: Image.Image) -> Image.Image:
    # Pillow clips rather than scales when narrowing these modes, turning most pixels white.
    if image.mode == "F":
        high = image.getextrema()[1]
        scale = 255.0 if high <= 1.0 else (1 / 256 if high > 255 else 1.0)
    else:
        image = image.convert("I")
        scale = 1 / 256 if image.getextrema()[1] > 255 else 1.0
    return image.point(lambda value: value * scale).convert("L")


def _to_srgb(image: Image.Image, icc_profile: bytes, target: str) -> Image.Image:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        # sRGB to sRGB would only cost time (the name is a good enough test), and gray
        # profiles are close enough to sRGB's curve to leave alone.
        description = ImageCms.getProfileDescription(profile).lower()
        if "srgb" in description or profile.profile.xcolor_space.strip() not in ("RGB", "CMYK"):
            return image
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, profile, srgb, outputMode=target)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
        # A broken or mismatched profile should not lose the product its image.
        logger.warning("ignoring unusable ICC profile: %s", e)
        return image


def fit(width: int, height: int, max_dimension: int) -> tuple[int, int]:
    """The size with the longest side at most ``max_dimension``, keeping the aspect ratio."""
    scale = min(1.0, max_dimension / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def flatten(image: Image.Image) -> Image.Image:
    """Composite a transparent image onto white, for formats without alpha."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, WHITE)
    background.paste(image, mask=image.getchannel("A"))
    return background


def can_keep_source(info: SourceInfo, options: CompressOptions) -> bool:
    """Whether the source's own bytes, metadata stripped, are an acceptable stored copy."""
    return (
        info.format in KEEPABLE_SOURCES
        # Re-encoding gives 8-bit sRGB; a kept copy must look the same as one would.
        and info.bits <= 8
        and info.srgb
        and max(info.width, info.height) <= options.max_dimension
        # Clients ignore EXIF orientation inconsistently, and we promise an upright image
        # without metadata hints, so a rotated source must be re-encoded even if larger.
        and info.orientation == 1
        # We store the first frame only; keeping an animation would break that promise.
        and not info.animated
    )


def stripped_source(source: bytes, info: SourceInfo, options: CompressOptions) -> bytes | None:
    if not can_keep_source(info, options):
        return None
    try:
        return strip_metadata(source, info.format)
    except NotStrippableError as e:
        logger.info("re-encoding a %r source whose metadata cannot be stripped: %r", info.format, e)
        return None
