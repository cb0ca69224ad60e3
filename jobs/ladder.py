"""The rendition ladder of one source image: every width in every format, from one decode.

``decode -> resize to the largest size -> normalize -> resize down step by step -> encode``.
The source is decoded once (JPEG at reduced scale when the largest rendition allows it, see
:func:`jobs.compress.decode`), resized once from its full size, oriented and converted to
sRGB at the largest rendition's size, and each smaller rendition is resized from the one
above it rather than from the source: most of the cost of a ladder is the first, largest
resize, so the rest come nearly free. Encoding is the same for every rendition and format.

AVIF is the slowest encoder by far, so it runs at a bounded effort (:data:`AVIF_SPEED`) and
within its own share of the job's time: an extra format that fails or runs out of time is left
out of the image, logged, and tried again by a re-render (docs/api.md).
"""

from __future__ import annotations

import functools
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PIL import Image

from jobs.compress import (
    DECODE_ERRORS,
    KEEPABLE_SOURCES,
    NEAREST_ONLY_MODES,
    CompressOptions,
    SourceInfo,
    corrupt,
    decode,
    flatten,
    normalize,
    stripped_source,
)
from jobs.errors import ImageRejectedError
from jobs.quality import BOUNDS, Choice, TileScorer, search
from models.failures import FailureCode

logger = logging.getLogger(__name__)

#: libavif's speed, 0 (slowest, smallest) to 10: 8 cost about half the CPU of the default 6
#: for a 1600 px photo, for a few percent more bytes.
AVIF_SPEED = 8
#: Format -> (Pillow format, content type, extension, extra save arguments).
FORMATS = {
    # optimize costs ~5% CPU for ~4% fewer bytes; an empty comment because Pillow would
    # otherwise copy the source's JPEG comment over.
    "jpeg": ("JPEG", "image/jpeg", "jpg", {"optimize": True, "comment": b""}),
    "webp": ("WEBP", "image/webp", "webp", {"method": 4}),
    # icc_profile, exif and xmp stated empty: Pillow's AVIF writer would copy the image's own.
    "avif": ("AVIF", "image/avif", "avif",
             {"speed": AVIF_SPEED, "icc_profile": None, "exif": b"", "xmp": b""}),
}
#: Added to IMAGE_QUALITY per format, so that one setting means one look: measured over the
#: test photos and the benchmark sources (docs/benchmarks.md, luma SSIM against the resized
#: source), AVIF at quality 72 scores at least JPEG 80's on every image with 0.88x its bytes,
#: WebP at 82 matches JPEG 80's mean score with 0.76x its bytes. At the same number, AVIF
#: was 1.18x JPEG's bytes and WebP scored lower.
QUALITY_OFFSETS = {"jpeg": 0, "webp": 2, "avif": -8}
#: IMAGE_CHROMA -> format -> Pillow save arguments. 4:2:0 (Pillow's own default) halves the
#: colour resolution, which SSIMULACRA2 sees on thin coloured lines and the hardest photos;
#: 4:4:4 keeps it (docs/benchmarks.md). libwebp's lossy mode has 4:2:0 only.
CHROMA: dict[str, dict[str, dict[str, object]]] = {
    "4:2:0": {},
    "4:4:4": {"jpeg": {"subsampling": 0}, "avif": {"subsampling": "4:4:4"}},
}
#: Added to the encoder quality at each chroma, so that IMAGE_QUALITY keeps its look: full
#: chroma costs bytes at the same quality, and buys a score a lower quality pays for
#: (measured on the corpus, docs/benchmarks.md).
CHROMA_OFFSETS: dict[str, dict[str, int]] = {"4:2:0": {}, "4:4:4": {"jpeg": -4, "avif": -3}}
#: Formats that keep an alpha channel; JPEG is flattened on white.
ALPHA_FORMATS = ("webp", "avif")
#: Orientations (EXIF) that swap width and height.
TRANSPOSED = (5, 6, 7, 8)
#: Encoder failures: an encoder may also reject a size or mode with ValueError.
ENCODE_ERRORS = (OSError, ValueError, RuntimeError, MemoryError)


@dataclass(frozen=True)
class LadderOptions:
    """What a ladder is made of (IMAGE_WIDTHS, IMAGE_FORMATS, IMAGE_FORMAT, ...).

    ``required`` is the format the image cannot be ready without; the others are extras.
    ``extra_seconds`` is the share of the job's time the extra formats may use together.
    """

    widths: tuple[int, ...] = (320, 640, 1024, 1600)
    formats: tuple[str, ...] = ("avif", "webp", "jpeg")
    required: str = "jpeg"
    quality: int = 80
    max_dimension: int = 1600
    max_pixels: int = 50_000_000
    extra_seconds: float = 20.0
    #: "fixed": every format at format_quality(quality, chroma); "target": each format
    #: searched for the lowest quality reaching quality_target (jobs.quality), from there.
    quality_mode: str = "fixed"
    quality_target: float = 70.0
    #: A key of CHROMA: the colour resolution of the JPEG and AVIF renditions.
    chroma: str = "4:2:0"

    def __post_init__(self) -> None:
        if self.required not in self.formats or not set(self.formats) <= set(FORMATS):
            raise ValueError(f"unsupported ladder formats {self.formats!r}/{self.required!r}")
        if not self.widths or max(self.widths) != self.max_dimension:
            raise ValueError(f"the ladder's largest width must be {self.max_dimension}")
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality {self.quality} is not from 1 to 100")
        if self.quality_mode not in ("fixed", "target"):
            raise ValueError(f"quality mode {self.quality_mode!r} is not fixed or target")
        if self.chroma not in CHROMA:
            raise ValueError(f"chroma {self.chroma!r} is not one of {', '.join(CHROMA)}")
        self.decode_options  # noqa: B018 - it checks the decoding limits

    @property
    def decode_options(self) -> CompressOptions:
        return CompressOptions(max_pixels=self.max_pixels, max_dimension=self.max_dimension)


@dataclass(frozen=True)
class Rendition:
    format: str  # the real format of ``data``: jpeg, webp, avif (or png for a kept source)
    width: int
    height: int
    data: bytes
    content_type: str
    extension: str
    kept_source: bool = False
    quality: int | None = None  # the encoder's; None for a kept source
    score: float | None = None  # the proxy score the search measured (target mode only)


@dataclass(frozen=True)
class Ladder:
    """One source image's renditions, largest first within each format."""

    source_width: int  # after EXIF orientation
    source_height: int
    renditions: tuple[Rendition, ...]
    thumbnail: Image.Image  # the smallest rendition's pixels, for the placeholder
    left_out: tuple[str, ...]  # extra formats that failed or ran out of time
    #: Each made format's encoder quality, shared by all its widths (a kept source aside).
    choices: dict[str, Choice] = field(default_factory=dict)


def ladder_sizes(width: int, height: int, widths: Sequence[int],
                 max_dimension: int) -> list[tuple[int, int]]:
    """The distinct sizes of a ``width`` x ``height`` (upright) source's renditions, largest
    first: each width, never wider than the source nor longer on either side than
    ``max_dimension``, aspect kept; widths that land on the same size are made once."""
    sizes: dict[tuple[int, int], None] = {}
    for target in sorted(widths, reverse=True):
        scale = min(1.0, target / width, max_dimension / max(width, height))
        sizes[(max(1, round(width * scale)), max(1, round(height * scale)))] = None
    return list(sizes)


def resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    if image.mode in NEAREST_ONLY_MODES:
        # Nearest-pixel scaling looks ragged; filter in full colour instead.
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    # reducing_gap box-reduces first on big shrinks: much faster and visually the same.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def resized_ladder(image: Image.Image, sizes: Sequence[tuple[int, int]],
                   orientation: int) -> list[Image.Image]:
    """``image`` (as decoded, maybe not upright) at each of ``sizes`` (upright, largest
    first), normalized: the largest from the decoded image, each next one from the last."""
    largest = sizes[0]
    unrotated = largest[::-1] if orientation in TRANSPOSED else largest
    images = [normalize(resized(image, unrotated))]
    for size in sizes[1:]:
        images.append(resized(images[-1], size))
    return images


def format_quality(fmt: str, quality: int, chroma: str = "4:2:0") -> int:
    """The encoder quality of ``fmt`` for IMAGE_QUALITY ``quality`` at IMAGE_CHROMA
    ``chroma`` (QUALITY_OFFSETS, CHROMA_OFFSETS)."""
    offset = QUALITY_OFFSETS[fmt] + CHROMA_OFFSETS[chroma].get(fmt, 0)
    return min(100, max(1, quality + offset))


def chosen_quality(fmt: str, options: LadderOptions,
                   scorer: Callable[[], TileScorer]) -> Choice:
    """The encoder quality of ``fmt``: the fixed one, or the search's through the scorer of
    the ladder's largest rendition (one search at the largest width, reused for the smaller
    ones: they are resized from it and score at least as well at the same quality)."""
    fixed = format_quality(fmt, options.quality, options.chroma)
    if options.quality_mode == "fixed":
        return Choice(fixed, None, 0)
    return search(lambda quality: scorer().score(fmt, quality), options.quality_target,
                  fixed, BOUNDS[fmt])


def chroma_arguments(options: LadderOptions, fmt: str) -> dict[str, object]:
    """The Pillow save arguments of ``options.chroma`` for ``fmt`` (none at 4:2:0)."""
    return CHROMA[options.chroma].get(fmt, {})


def _scorer(image: Image.Image, options: LadderOptions) -> Callable[[], TileScorer]:
    """The largest rendition's TileScorer, made on first use and shared by the formats (its
    tiles and their statistics are the same for all), probing at ``options.chroma``."""

    def probe(tiles: Image.Image, fmt: str, quality: int) -> bytes:
        return encode(tiles, fmt, quality, **chroma_arguments(options, fmt))

    return functools.cache(lambda: TileScorer(image, probe))


def encode(image: Image.Image, fmt: str, quality: int, **overrides: object) -> bytes:
    """``image`` (normalized) as ``fmt`` at encoder ``quality``, with no metadata;
    ``overrides`` replace or add Pillow save arguments (a CHROMA entry)."""
    pil_format, _, _, extra = FORMATS[fmt]
    if fmt not in ALPHA_FORMATS:
        image = flatten(image)
    out = io.BytesIO()
    image.save(out, format=pil_format, quality=quality, **{**extra, **overrides})
    return out.getvalue()


def render_ladder(source: bytes, options: LadderOptions, *,
                  clock: Callable[[], float] = time.monotonic) -> Ladder:
    """Every rendition of ``source``; raises ImageRejectedError for what is not an image, or
    for the required format failing to encode."""
    image, info = decode(source, options.decode_options)
    orientation = info.orientation if info.orientation in range(1, 9) else 1
    upright = ((info.height, info.width) if orientation in TRANSPOSED
               else (info.width, info.height))
    sizes = ladder_sizes(*upright, options.widths, options.max_dimension)
    try:
        images = resized_ladder(image, sizes, orientation)
    except DECODE_ERRORS as error:
        raise corrupt() from error

    renditions: list[Rendition] = []
    left_out: list[str] = []
    choices: dict[str, Choice] = {}
    deadline = clock() + options.extra_seconds
    scorer = _scorer(images[0], options)
    # The required format first, so the extras' time share can never cost the image.
    for fmt in sorted(options.formats, key=lambda name: name != options.required):
        _, content_type, extension, _ = FORMATS[fmt]
        made = []
        try:
            choice = chosen_quality(fmt, options, scorer)
            for each in images:
                if fmt != options.required and clock() > deadline:
                    raise TimeoutError(f"{fmt}: the extra formats' time share is used up")
                made.append(Rendition(fmt, each.width, each.height,
                                      encode(each, fmt, choice.quality,
                                             **chroma_arguments(options, fmt)),
                                      content_type, extension, quality=choice.quality,
                                      score=choice.score))
        except (*ENCODE_ERRORS, TimeoutError) as error:
            if fmt == options.required:
                # It decoded, so it is an image: the failure is the encoder's, ours.
                raise ImageRejectedError(f"the image cannot be encoded as {fmt}",
                                         code=FailureCode.INTERNAL) from error
            logger.warning("left out the %s renditions: %r", fmt, error,
                           extra={"event": "format_left_out", "format": fmt})
            left_out.append(fmt)
            continue
        if fmt == options.required:
            made[0] = _kept_or_encoded(source, info, options, made[0])
        renditions.extend(made)
        choices[fmt] = choice
    return Ladder(upright[0], upright[1], tuple(renditions), images[-1], tuple(left_out),
                  choices)


def _kept_or_encoded(source: bytes, info: SourceInfo, options: LadderOptions,
                     largest: Rendition) -> Rendition:
    """docs/api.md: the largest required rendition is the source's own bytes, metadata
    removed, when those may be kept and are no larger than the re-encoded ones."""
    kept = stripped_source(source, info, options.decode_options)
    if kept is None or len(kept) > len(largest.data):
        return largest
    content_type, extension = KEEPABLE_SOURCES[info.format]
    return Rendition(info.format.lower(), info.width, info.height, kept, content_type,
                     extension, kept_source=True)
