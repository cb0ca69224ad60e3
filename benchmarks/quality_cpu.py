"""The worker's CPU per source image in target mode against fixed mode, without the scoring
(so it takes a minute): on the issue-14 corpus as it is (240-1411 px), and on its photos
scaled up to 2400 px and saved as JPEG 92, as a phone upload would reach the worker, so the
ladder starts at 1600 px. The search's probes cost the same at any size (4 tiles of 128 px);
the ladder's encodes grow with the pixels, so the ratio falls as sources grow. Upscaled photos
are smoother than real ones, so target mode picks lower qualities there than it would.

Run: ``.venv/bin/python -m benchmarks.quality_cpu [--target 75]``.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Sequence

from benchmarks.corpus import corpus, photo_files, variant
from benchmarks.sources import open_photo
from jobs.ladder import LadderOptions, render_ladder

UPLOAD_SIDE = 2400


def uploads() -> list[bytes]:
    """The corpus photos, longest side UPLOAD_SIDE, as JPEG 92."""
    out = []
    for path in photo_files():
        photo = open_photo(path)
        image = variant(photo, 1.0, UPLOAD_SIDE / max(photo.size))
        data = io.BytesIO()
        image.save(data, format="JPEG", quality=92)
        out.append(data.getvalue())
    return out


def cpu_per_source(sources: Sequence[bytes], options: LadderOptions) -> float:
    started = time.process_time()
    for source in sources:
        render_ladder(source, options)
    return (time.process_time() - started) / len(sources)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=float, default=75.0)
    args = parser.parse_args(argv)
    target = LadderOptions(quality_mode="target", quality_target=args.target)
    for label, sources in (("corpus (42, 240-1411 px)", [s.data for s in corpus()]),
                           (f"photos at {UPLOAD_SIDE} px (12)", uploads())):
        fixed, searched = (cpu_per_source(sources, o) for o in (LadderOptions(), target))
        print(f"{label}: fixed {fixed * 1000:.0f} ms, target {args.target:g} "
              f"{searched * 1000:.0f} ms per source ({searched / fixed:.2f}x)")


if __name__ == "__main__":
    main()
