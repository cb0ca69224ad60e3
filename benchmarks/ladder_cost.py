"""CPU time of one source image's rendition ladder, in-process: ours, a naive Pillow loop, and
libvips (pyvips) for the JPEG and WebP part, on the same sources in one run.

* **ours**: jobs.ladder's own steps, called as render_ladder calls them: ``decode`` (JPEG draft
  mode), ``resized_ladder`` (one resize from the decoded image to the largest size, normalize,
  then each smaller size from the previous one), and ``encode`` of every rendition and format.
  ``render_ladder`` as a whole is timed too, in its own pass, as a check that the parts add up.
* **naive**: for each of the 12 renditions, open and decode the source again, LANCZOS-resize
  it from full size to the rendition's size, and encode it with :func:`jobs.ladder.encode`
  (the same encoder settings as ours, so the 12 encodes are the same work on both sides).
* **pyvips**: for each width, ``thumbnail_buffer`` (libvips's shrink-on-load decode and
  resize), then the JPEG (Q, optimize_coding) and WebP (Q, effort 4) encodes, metadata
  stripped. libvips's operation cache is off, so no call reuses an earlier one's result.

CPU is ``time.process_time`` (every thread of this process: libvips runs its own threads)
around each phase; wall is ``time.perf_counter``. Each figure is the mean per source image.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence

from PIL import Image

from jobs.compress import decode
from jobs.ladder import (
    TRANSPOSED,
    LadderOptions,
    encode,
    format_quality,
    ladder_sizes,
    render_ladder,
    resized_ladder,
)

OPTIONS = LadderOptions()  # the defaults: 4 widths x avif, webp, jpeg at quality 80
#: The libvips side of the comparison: only the formats it is compared on.
VIPS_FORMATS = ("jpeg", "webp")
VIPS_SAVE = {"jpeg": ".jpg[Q={q},optimize_coding,strip]",
             "webp": ".webp[Q={q},effort=4,strip]"}


class Phases:
    """CPU and wall seconds accumulated per phase name."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def timed(self, name: str, step: Callable[[], object]) -> object:
        cpu, wall = time.process_time(), time.perf_counter()
        result = step()
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
        return result


def _sizes(source: bytes, options: LadderOptions) -> tuple[list[tuple[int, int]], int]:
    with Image.open(io.BytesIO(source)) as image:
        orientation = image.getexif().get(0x0112, 1)
        width, height = image.size
    upright = (height, width) if orientation in TRANSPOSED else (width, height)
    return ladder_sizes(*upright, options.widths, options.max_dimension), orientation


def decoded_ladder(source: bytes, phases: Phases,
                   options: LadderOptions = OPTIONS) -> list[Image.Image]:
    """Every rendition's pixels (normalized, largest first) as render_ladder makes them,
    with its decode and its resizes (normalize included) timed."""
    image, info = phases.timed("decode", lambda: decode(source, options.decode_options))
    orientation = info.orientation if info.orientation in range(1, 9) else 1
    upright = ((info.height, info.width) if orientation in TRANSPOSED
               else (info.width, info.height))
    sizes = ladder_sizes(*upright, options.widths, options.max_dimension)
    return phases.timed("resize", lambda: resized_ladder(image, sizes, orientation))


def ours(source: bytes, phases: Phases, options: LadderOptions = OPTIONS) -> list[bytes]:
    """Our ladder through jobs.ladder's functions, each phase timed."""
    images = decoded_ladder(source, phases, options)
    out = []
    for fmt in options.formats:
        for each in images:
            quality = format_quality(fmt, options.quality)
            out.append(phases.timed(f"encode {fmt}", lambda each=each, fmt=fmt, quality=quality:
                                    encode(each, fmt, quality)))
    return out


def naive(source: bytes, phases: Phases, options: LadderOptions = OPTIONS) -> list[bytes]:
    """Decode and resize from the source for every one of the renditions."""
    sizes, _ = _sizes(source, options)
    out = []
    for fmt in options.formats:
        for size in sizes:
            def decode_resize(size: tuple[int, int] = size) -> Image.Image:
                image = Image.open(io.BytesIO(source))
                image = image.convert("RGB") if image.mode != "RGB" else image
                image.load()
                return image.resize(size, Image.Resampling.LANCZOS)
            # Decode and resize are one phase here: Pillow decodes lazily inside convert/resize.
            resized = phases.timed("decode+resize", decode_resize)
            out.append(phases.timed(f"encode {fmt}", lambda r=resized, fmt=fmt:
                                    encode(r, fmt, format_quality(fmt, options.quality))))
    return out


def whole(source: bytes, phases: Phases, options: LadderOptions = OPTIONS) -> list[bytes]:
    """render_ladder itself, as the worker calls it (the kept-source check included)."""
    ladder = phases.timed("render_ladder", lambda: render_ladder(source, options))
    return [rendition.data for rendition in ladder.renditions]


def require_pyvips():  # noqa: ANN201 - the pyvips module
    """pyvips with libvips loaded, or an error that says what to install: never a skip."""
    try:
        import pyvips
    except ImportError as error:
        raise RuntimeError(
            "the pyvips comparison needs pyvips (`make install` installs it, the dev extra) "
            f"and libvips (Debian: `apt-get install -y libvips42`): {error}") from error
    except OSError as error:  # pyvips is there, libvips.so.42 is not
        raise RuntimeError(
            "the pyvips comparison needs libvips: `apt-get install -y libvips42` "
            f"(Debian's package; pyvips from PyPI loads it): {error}") from error
    pyvips.cache_set_max(0)
    return pyvips


def vips(source: bytes, phases: Phases, options: LadderOptions = OPTIONS) -> list[bytes]:
    """libvips's thumbnail per width, then the JPEG and WebP encodes of it."""
    pyvips = require_pyvips()
    sizes, _ = _sizes(source, options)
    out = []
    for width, height in sizes:
        def thumbnail(width: int = width, height: int = height):  # noqa: ANN202
            # height bounds the box too, so a portrait source gets the same size as ours;
            # copy_memory makes it decode and resize here, not lazily inside the encodes.
            return pyvips.Image.thumbnail_buffer(source, width, height=height).copy_memory()
        image = phases.timed("decode+resize", thumbnail)
        for fmt in VIPS_FORMATS:
            spec = VIPS_SAVE[fmt].format(q=format_quality(fmt, options.quality))
            out.append(phases.timed(f"encode {fmt}",
                                    lambda image=image, spec=spec: image.write_to_buffer(spec)))
    return out


LOOPS = {"ours": ours, "naive": naive, "render_ladder": whole, "pyvips": vips}


def measure(sources: Sequence[bytes], loops: Sequence[str] = tuple(LOOPS),
            passes: int = 2) -> dict[str, dict]:
    """Mean CPU and wall seconds per source image of each loop's phases.

    The loops take turns source by source, so a burst of other load hits all of them alike;
    the first source is run once untimed by each (plugin imports, libvips start-up). Of
    ``passes`` passes over the sources, each loop keeps its lowest total CPU.
    """
    for name in loops:
        LOOPS[name](sources[0], Phases())
    best: dict[str, dict] = {}
    for _ in range(passes):
        phases = {name: Phases() for name in loops}
        outputs = {name: 0 for name in loops}
        for source in sources:
            for name in loops:
                outputs[name] += sum(len(data) for data in LOOPS[name](source, phases[name]))
        for name in loops:
            cpu = {k: v / len(sources) for k, v in phases[name].cpu.items()}
            wall = {k: v / len(sources) for k, v in phases[name].wall.items()}
            run = {"cpu": cpu, "wall": wall, "cpu_total": sum(cpu.values()),
                   "wall_total": sum(wall.values()), "bytes": outputs[name] / len(sources)}
            if name not in best or run["cpu_total"] < best[name]["cpu_total"]:
                best[name] = run
    return best


def part(run: dict, prefixes: Sequence[str], table: str = "cpu") -> float:
    """The sum of a run's phases whose names start with any of ``prefixes``."""
    return sum(value for key, value in run[table].items()
               if any(key.startswith(prefix) for prefix in prefixes))


def summary(result: dict[str, dict]) -> dict[str, float]:
    """The figures the goals and docs name, from one :func:`measure` result."""
    ours_run, naive_run = result["ours"], result["naive"]
    figures = {
        "ours_cpu": ours_run["cpu_total"],
        "naive_cpu": naive_run["cpu_total"],
        "ours_decode_resize": part(ours_run, ("decode", "resize")),
        "naive_decode_resize": part(naive_run, ("decode+resize",)),
        "ours_encode": part(ours_run, ("encode",)),
        "naive_encode": part(naive_run, ("encode",)),
        "ours_jpeg_webp": part(ours_run, ("decode", "resize", "encode jpeg", "encode webp")),
    }
    figures["whole_ratio"] = figures["ours_cpu"] / figures["naive_cpu"]
    figures["decode_resize_ratio"] = figures["ours_decode_resize"] / figures["naive_decode_resize"]
    figures["encode_ratio"] = figures["ours_encode"] / figures["naive_encode"]
    if "render_ladder" in result:
        figures["render_ladder_cpu"] = result["render_ladder"]["cpu_total"]
    if "pyvips" in result:
        figures["vips_cpu"] = result["pyvips"]["cpu_total"]
        figures["vips_decode_resize"] = part(result["pyvips"], ("decode+resize",))
        figures["vips_encode"] = part(result["pyvips"], ("encode",))
        figures["jpeg_webp_vs_vips"] = figures["ours_jpeg_webp"] / figures["vips_cpu"]
    return figures


def format_table(label: str, result: dict[str, dict]) -> str:
    """One Markdown table: ms of CPU (and wall) per source image, by loop and phase."""
    phases = sorted({key for run in result.values() for key in run["cpu"]})
    lines = [f"| {label} | " + " | ".join(phases) + " | total CPU | total wall | output kB |",
             "| --- | " + " | ".join("---:" for _ in phases) + " | ---: | ---: | ---: |"]
    for name, run in result.items():
        cells = [f"{run['cpu'][p] * 1000:.0f}" if p in run["cpu"] else "" for p in phases]
        lines.append(f"| {name} | " + " | ".join(cells)
                     + f" | {run['cpu_total'] * 1000:.0f} | {run['wall_total'] * 1000:.0f}"
                     f" | {run['bytes'] / 1000:.0f} |")
    return "\n".join(lines)
