"""The settings revision of a rendition set: what a re-render compares.

A hash of everything that changes the bytes the ladder makes (widths, formats, the required
format, quality, maximum dimension, AVIF effort, the chroma resolution, the quality mode and
target with the search's parameters in target mode, and the encoder libraries' versions), so
that changing any of them, or upgrading Pillow's codecs, marks every image made before as due
for ``jobs.rerender``; changing anything else (timeouts, retries) does not.
"""

from __future__ import annotations

import hashlib
import json

import PIL
from PIL import features

from jobs import quality
from jobs.ladder import AVIF_SPEED, CHROMA, CHROMA_OFFSETS, QUALITY_OFFSETS, LadderOptions

#: Codec libraries whose versions change what a rendition's bytes are.
CODECS = ("jpg", "webp", "avif")


def codec_versions() -> dict[str, str | None]:
    return {"pillow": PIL.__version__, **{name: features.version(name) for name in CODECS}}


def settings_revision(options: LadderOptions,
                      codecs: dict[str, str | None] | None = None) -> str:
    """A short, stable name for the output ``options`` and these codecs make."""
    inputs = {
        "widths": list(options.widths), "formats": sorted(options.formats),
        "required": options.required, "quality": options.quality,
        "quality_offsets": QUALITY_OFFSETS,
        "max_dimension": options.max_dimension, "avif_speed": AVIF_SPEED,
        "codecs": codec_versions() if codecs is None else codecs,
    }
    if options.chroma != "4:2:0":
        # Only when changed, so that the catalogs made before the setting keep their revision.
        inputs["chroma"] = {"mode": options.chroma, "arguments": CHROMA[options.chroma],
                            "offsets": CHROMA_OFFSETS[options.chroma]}
    if options.quality_mode != "fixed":
        # Only in target mode, so that fixed mode's revision (and its catalog) stay as they were.
        inputs["quality_search"] = {
            "mode": options.quality_mode, "target": options.quality_target,
            "bounds": quality.BOUNDS, "tile": quality.TILE, "tiles": quality.TILES,
            "probes": quality.MAX_PROBES, "calibration": list(quality.CALIBRATION)}
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return "r" + digest[:12]
