"""The target-quality corpus (issue 14): photos at several crops and scales, and a minority of
synthetic renders, each as a lossless PNG source with its kind.

Photos: the repository's test photos (chelsea, coffee, rocket; the logo counts as a synthetic
logo) and the CC0 / public-domain photos in ``testdata/corpus`` (credits in its README), each
whole at its own size, whole at 0.6x, and its centre (3/4 of each side) at 0.8x: three
distinct images per photo, at three scales. Synthetic: :mod:`benchmarks.synthetic`, drawn at
run time, plus the test logo. Nothing is downloaded. PNG so the reference is lossless; grey
photos are made RGB, as an upload of them would be decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from benchmarks.sources import open_photo
from benchmarks.synthetic import RENDERS
from tests.support.photos import PHOTOS

CORPUS = Path(__file__).resolve().parent.parent / "testdata" / "corpus"
#: The test photos that are photos (logo.png is a graphic; the GIF is 14x25).
TEST_PHOTOS = ("chelsea.png", "coffee.png", "rocket.jpg")
#: Variant name -> (fraction of each side kept, centred; scale).
VARIANTS = {"whole": (1.0, 1.0), "0.6x": (1.0, 0.6), "centre 0.8x": (0.75, 0.8)}


@dataclass(frozen=True)
class Source:
    name: str
    group: str  # "photo" or "synthetic"
    kind: str  # photo: the file's stem; synthetic: text, line-art, chart, logo, ui
    data: bytes  # PNG
    image: Image.Image  # its RGB pixels, the reference


def photo_files() -> list[Path]:
    paths = [PHOTOS / name for name in TEST_PHOTOS]
    paths += sorted(path for path in CORPUS.iterdir() if path.suffix in (".png", ".jpg"))
    missing = [path for path in paths if not path.is_file()]
    if missing or len(paths) < 10:
        raise FileNotFoundError(f"corpus photos missing: {missing or CORPUS}")
    return paths


def variant(image: Image.Image, keep: float, scale: float) -> Image.Image:
    if keep < 1.0:
        w, h = round(image.width * keep), round(image.height * keep)
        left, top = (image.width - w) // 2, (image.height - h) // 2
        image = image.crop((left, top, left + w, top + h))
    if scale != 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)),
                             Image.Resampling.LANCZOS)
    return image


def _source(name: str, group: str, kind: str, image: Image.Image) -> Source:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return Source(name, group, kind, buffer.getvalue(), image)


def corpus() -> list[Source]:
    """Every source, photos first; distinct pixels each (checked, so a crop that came out the
    same as another image would fail the run rather than count twice)."""
    sources = []
    for path in photo_files():
        photo = open_photo(path)
        for label, (keep, scale) in VARIANTS.items():
            sources.append(_source(f"{path.stem} {label}", "photo", path.stem,
                                   variant(photo, keep, scale)))
    for kind, render in RENDERS.items():
        sources.append(_source(kind, "synthetic", kind, render().convert("RGB")))
    sources.append(_source("logo.png", "synthetic", "logo", open_photo(PHOTOS / "logo.png")))
    if len({source.image.tobytes() for source in sources}) != len(sources):
        raise ValueError("two corpus images have the same pixels")
    return sources
