"""Images as media (docs/api.md): what is stored of each source image's renditions, and the
``images`` objects every product representation carries.

A product row holds, in its ``image_media`` jsonb column, one record per source URL whose
renditions are stored (see :func:`media_record`): the source's upright size, its placeholder,
every rendition with its public URL, the ready-made ``srcset`` of each format, the settings
revision that made them, and the copy URL (never shown; object keys are read from the
rendition URLs, which end with them). The record is
written in the same statement as ``compressed_product_images``, so a reader sees a complete
old set or a complete new one. ``images`` is derived from the row on every read: one indexed
lookup, no join.

Products from before media records show their copy as a ready image with one rendition and
revision ``None`` (:func:`legacy_image`), so nothing needs migrating for reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from models.failures import ImageFailure


class Rendition(msgspec.Struct):
    """One stored rendition as clients see it; None only for a legacy copy's unknowns."""

    format: str  # the real format of its bytes: avif, webp, jpeg, or a kept source's (png)
    width: int | None
    height: int | None
    bytes: int | None
    url: str


class Placeholder(msgspec.Struct):
    blurhash: str
    dominant_color: str  # "#rrggbb"


class ImageError(msgspec.Struct):
    """``error`` of a failed image: :class:`models.failures.ImageFailure` as it is shown."""

    code: str | None
    message: str
    retryable: bool | None
    attempts: int | None
    http_status: int | msgspec.UnsetType = msgspec.UNSET


class MediaImage(msgspec.Struct):
    """``images[i]`` of every product representation (docs/api.md)."""

    source_url: str
    status: Literal["pending", "ready", "failed"]
    width: int | None
    height: int | None
    placeholder: Placeholder | None
    renditions: list[Rendition]
    srcset: dict[str, str]
    revision: str | None
    error: ImageError | None
    #: Bytes of the source as downloaded; None until ready, and for sets recorded before
    #: it was kept.
    source_bytes: int | None = None


#: Fields of a rendition as the API shows it, in order.
RENDITION_FIELDS = Rendition.__struct_fields__
#: Fields of a record that are never shown: the URL that ``compressed_product_images`` holds
#: (docs/api.md: the required format, largest width, or the kept source standing in). The
#: objects' keys are not stored: each rendition's URL ends with its key.
PRIVATE_FIELDS = ("copy",)
#: Extension of a stored object -> the format name a rendition shows.
FORMAT_OF_EXTENSION = {"jpg": "jpeg", "jpeg": "jpeg", "webp": "webp", "avif": "avif",
                       "png": "png"}


def srcset(renditions: Sequence[dict]) -> str:
    """The HTML ``srcset`` of ``renditions``, smallest first, with real-width descriptors."""
    return ", ".join(f"{r['url']} {r['width']}w"
                     for r in sorted(renditions, key=lambda r: r["width"]))


def media_record(*, width: int, height: int, placeholder: dict, renditions: Sequence[dict],
                 revision: str | None, required_format: str,
                 stand_in: dict | None = None, source_bytes: int | None = None) -> dict:
    """The stored record of one source image's rendition set.

    Parameters:
      renditions: the ladder's renditions (RENDITION_FIELDS), largest first per format; a
        ``quality`` (and ``score``) key of theirs is kept per format in the record's
        ``quality``, not shown to clients.
      stand_in: the source's own bytes (metadata removed), kept in place of the required
        format's largest rendition (docs/api.md); shown under its real format, and listed
        in the required format's ``srcset``, whose largest entry it is.
    """
    ordered = [{name: r[name] for name in RENDITION_FIELDS} for r in renditions]
    # Never shown (images_of picks its fields): how each format's encoder quality was chosen.
    chosen = {r["format"]: {"quality": r["quality"], "score": r.get("score")}
              for r in renditions if r.get("quality") is not None}
    sets = {fmt: srcset([r for r in ordered if r["format"] == fmt])
            for fmt in dict.fromkeys(r["format"] for r in ordered)}
    if stand_in is not None:
        stand_in = {name: stand_in[name] for name in RENDITION_FIELDS}
        ordered.append(stand_in)
        sets[required_format] = srcset(
            [r for r in ordered if r["format"] == required_format and r is not stand_in]
            + [stand_in])
    return {"width": width, "height": height, "placeholder": dict(placeholder),
            "renditions": ordered, "srcset": sets, "revision": revision, "quality": chosen,
            "source_bytes": source_bytes,
            "copy": stand_in["url"] if stand_in is not None else max(
                (r for r in ordered if r["format"] == required_format),
                key=lambda r: r["width"])["url"]}


def legacy_image(url: str, copy: str) -> dict[str, Any]:
    """A copy made before media records: ready, one rendition of unknown size."""
    fmt = FORMAT_OF_EXTENSION.get(copy.rsplit(".", 1)[-1].lower(), "jpeg")
    return {"source_url": url, "status": "ready", "width": None, "height": None,
            "placeholder": None,
            "renditions": [{"format": fmt, "width": None, "height": None, "bytes": None,
                            "url": copy}],
            "srcset": {fmt: copy}, "revision": None, "error": None, "source_bytes": None}


def _waiting(url: str, status: str, error: dict | None) -> dict[str, Any]:
    return {"source_url": url, "status": status, "width": None, "height": None,
            "placeholder": None, "renditions": [], "srcset": {}, "revision": None,
            "error": error, "source_bytes": None}


def images_of(images: Sequence[str], copies: Sequence[str | None], media: dict[str, dict],
              failures: dict[str, object]) -> list[dict[str, Any]]:
    """The ``images`` of a product (:class:`MediaImage`), one per source URL, in order.

    Parameters:
      media: the row's records by source URL.
      failures: the row's stored failures by source URL (:class:`ImageFailure` JSON).
    """
    errors = {url: ImageFailure.from_json(value).to_json() for url, value in failures.items()}
    shown = []
    for url, copy in zip(images, copies, strict=True):
        record = media.get(url)
        if copy is not None and record is not None:
            shown.append({"source_url": url, "status": "ready", "width": record["width"],
                          "height": record["height"], "placeholder": record["placeholder"],
                          "renditions": record["renditions"], "srcset": record["srcset"],
                          "revision": record["revision"], "error": None,
                          "source_bytes": record.get("source_bytes")})
        elif copy is not None:
            shown.append(legacy_image(url, copy))
        elif url in errors:
            shown.append(_waiting(url, "failed", errors[url]))
        else:
            shown.append(_waiting(url, "pending", None))
    return shown
