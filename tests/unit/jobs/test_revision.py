"""jobs.revision: the revision changes with what changes the output, and only with that."""

from __future__ import annotations

import pytest

from jobs.ladder import LadderOptions
from jobs.revision import codec_versions, settings_revision

CODECS = {"pillow": "13.0.0", "jpg": "6.2", "webp": "1.6.0", "avif": "1.4.2"}


def test_the_same_settings_give_the_same_revision():
    assert settings_revision(LadderOptions(), CODECS) == settings_revision(LadderOptions(), CODECS)
    # the order formats are listed in changes nothing they make
    assert settings_revision(LadderOptions(formats=("jpeg", "webp", "avif")), CODECS) \
        == settings_revision(LadderOptions(formats=("avif", "webp", "jpeg")), CODECS)


@pytest.mark.parametrize("changed", [
    LadderOptions(widths=(640, 1600)),
    LadderOptions(formats=("webp", "jpeg")),
    LadderOptions(quality=70),
    LadderOptions(widths=(320, 640, 1200), max_dimension=1200),
    LadderOptions(formats=("avif", "webp", "jpeg"), required="webp"),
    LadderOptions(chroma="4:4:4"),
])
def test_any_setting_that_changes_the_output_changes_it(changed):
    assert settings_revision(changed, CODECS) != settings_revision(LadderOptions(), CODECS)


def test_a_codec_upgrade_changes_it():
    upgraded = {**CODECS, "avif": "1.5.0"}
    assert settings_revision(LadderOptions(), upgraded) != settings_revision(LadderOptions(),
                                                                            CODECS)


def test_limits_that_do_not_change_the_output_do_not_change_it():
    assert settings_revision(LadderOptions(max_pixels=10, extra_seconds=1), CODECS) \
        == settings_revision(LadderOptions(), CODECS)


def test_the_running_codecs_are_named():
    versions = codec_versions()
    assert set(versions) == {"pillow", "jpg", "webp", "avif"} and versions["avif"]
