"""jobs.pipeline: what is recorded of a rendition set, from the ladder the worker made."""

from __future__ import annotations

from jobs.fetch import FetchLimits
from jobs.ladder import LadderOptions, render_ladder
from jobs.pipeline import ImagePipeline
from jobs.revision import settings_revision
from jobs.storage import StoredObject
from tests.support.hostile_images import photo_image, saved

OPTIONS = LadderOptions()


def recorded(ladder) -> dict:
    # Only the ladder settings matter to the record; the collaborators are never called.
    pipeline = ImagePipeline(limits=FetchLimits(), ladder=OPTIONS, store=None, cache=None,
                             metrics=None, slots=None)
    stored = [StoredObject(f"products/1/{i}.{r.extension}", f"https://cdn/{i}.{r.extension}")
              for i, r in enumerate(ladder.renditions)]
    return pipeline._record(ladder, stored, "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "#8a6f4e",
                            source_bytes=1234)


def test_a_complete_set_records_the_current_revision():
    ladder = render_ladder(saved(photo_image("rocket.jpg"), "JPEG", quality=90), OPTIONS)
    record = recorded(ladder)
    assert record["revision"] == settings_revision(OPTIONS)
    assert set(record["srcset"]) == {"avif", "webp", "jpeg"}
    assert record["source_bytes"] == 1234


def test_a_set_that_left_out_a_format_is_not_current_so_a_rerender_makes_it_again():
    ticks = iter(range(0, 10_000, 100))  # every look at the clock is 100 s later
    ladder = render_ladder(saved(photo_image("rocket.jpg"), "JPEG", quality=90), OPTIONS,
                           clock=lambda: next(ticks))
    assert ladder.left_out  # the extras ran out of their time share

    record = recorded(ladder)

    assert record["revision"] is None
    assert set(record["srcset"]) == {"jpeg"}
