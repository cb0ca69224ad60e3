"""jobs.ladder: the sizes of a ladder, one decode for all of them, every format, and the
extra formats' time share."""

from __future__ import annotations

import itertools

import pytest
from PIL import ExifTags, Image

from jobs import ladder
from jobs.errors import ImageRejectedError
from jobs.ladder import LadderOptions, ladder_sizes, render_ladder
from models.failures import FailureCode
from tests.support.hostile_images import (
    METADATA_MARKERS,
    gps_exif,
    hostile_jpeg,
    opened,
    photo_image,
    saved,
)

MAGIC = {"jpeg": b"\xff\xd8\xff", "webp": b"RIFF", "avif": b"ftypavif"}


def test_each_width_once_largest_first_capped_by_the_source_and_the_maximum():
    assert ladder_sizes(4032, 3024, (320, 640, 1024, 1600), 1600) == [
        (1600, 1200), (1024, 768), (640, 480), (320, 240)]
    # portrait: the longest side is capped, so the two largest widths land on one size
    assert ladder_sizes(3000, 4000, (320, 640, 1024, 1600), 1600) == [
        (1200, 1600), (1024, 1365), (640, 853), (320, 427)]
    # never wider than the source; a source narrower than the smallest width: its own width
    assert ladder_sizes(500, 400, (320, 640, 1600), 1600) == [(500, 400), (320, 256)]
    assert ladder_sizes(100, 80, (320, 640, 1600), 1600) == [(100, 80)]
    assert ladder_sizes(400, 1600, (320, 640, 1600), 1600) == [(400, 1600), (320, 1280)]


def renditions_by_format(result) -> dict[str, list]:
    return {fmt: list(group) for fmt, group in
            itertools.groupby(sorted(result.renditions, key=lambda r: r.format),
                              key=lambda r: r.format)}


def test_every_format_at_every_size_is_its_real_format_and_size():
    source = saved(photo_image("rocket.jpg"), "JPEG", quality=95)  # 640x427

    result = render_ladder(source, LadderOptions(widths=(100, 320, 1600)))

    by_format = renditions_by_format(result)
    assert set(by_format) == {"avif", "webp", "jpeg"} and result.left_out == ()
    for fmt, renditions in by_format.items():
        assert [(r.width, r.height) for r in renditions] == [(640, 427), (320, 214), (100, 67)]
        for rendition in renditions:
            assert MAGIC[fmt] in rendition.data[:12]
            decoded = opened(rendition.data)
            assert decoded.size == (rendition.width, rendition.height)
            assert decoded.mode in ("RGB", "RGBA") and not decoded.getexif()
    assert (result.source_width, result.source_height) == (640, 427)
    assert result.thumbnail.size == (100, 67)


def test_a_large_jpeg_is_decoded_at_reduced_scale(monkeypatch):
    decoded_sizes = []
    real_normalize = ladder.normalize

    def spy(image):
        decoded_sizes.append(image.size)
        return real_normalize(image)

    seen = []
    real_resized = ladder.resized
    monkeypatch.setattr(ladder, "resized",
                        lambda image, size: seen.append(image.size) or real_resized(image, size))
    monkeypatch.setattr(ladder, "normalize", spy)
    source = saved(photo_image("rocket.jpg").resize((4000, 3000)), "JPEG", quality=90)

    result = render_ladder(source, LadderOptions(widths=(320, 1600), formats=("jpeg",)))

    # draft mode: libjpeg decoded at 1/2 (2000x1500), not the full 4000x3000
    assert seen[0] == (2000, 1500)
    # each smaller size resized from the one above it, not from the source
    assert seen[1] == (1600, 1200)
    assert [(r.width, r.height) for r in result.renditions] == [(1600, 1200), (320, 240)]


def test_orientation_is_applied_and_sizes_are_the_upright_ones():
    exif = gps_exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90: a landscape file shown as portrait
    source = saved(photo_image("rocket.jpg"), "JPEG", quality=90, exif=exif)  # 640x427 file

    result = render_ladder(source, LadderOptions(widths=(200, 1600), formats=("jpeg",)))

    assert (result.source_width, result.source_height) == (427, 640)
    assert [(r.width, r.height) for r in result.renditions] == [(427, 640), (200, 300)]
    assert all(not opened(r.data).getexif() for r in result.renditions)


def test_no_metadata_reaches_any_rendition():
    result = render_ladder(hostile_jpeg(size=(300, 200), quality=90), LadderOptions())
    for rendition in result.renditions:
        assert not any(marker in rendition.data for marker in METADATA_MARKERS), rendition.format
        assert b"SECRET" not in rendition.data and b"HostileCam" not in rendition.data
        info = opened(rendition.data).info
        assert not any(info.get(key) for key in ("icc_profile", "exif", "xmp")), rendition.format


@pytest.mark.parametrize("fmt", ["avif", "webp"])
def test_alpha_is_kept_where_the_format_has_it_and_jpeg_is_flattened_on_white(fmt):
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (16, 16, 48, 48))

    result = render_ladder(saved(image, "PNG"),
                           LadderOptions(widths=(32, 1600), formats=(fmt, "jpeg")))

    for alpha in [r for r in result.renditions if r.format == fmt]:
        decoded = opened(alpha.data)
        assert decoded.mode == "RGBA" and decoded.getpixel((2, 2))[3] < 16
    # the 32 px one: at 64 px the PNG itself is kept (smaller), in its own format
    [flat] = [r for r in result.renditions if r.format == "jpeg"]
    assert flat.width == 32
    assert min(opened(flat.data).convert("RGB").getpixel((2, 2))) > 240  # white, not black
    assert {r.format for r in result.renditions if r.kept_source} == {"png"}


def test_extras_over_their_time_share_are_left_out_and_the_required_format_stays():
    ticks = itertools.count(step=10.0)  # every look at the clock is 10 s later
    source = saved(photo_image("rocket.jpg"), "JPEG", quality=90)

    result = render_ladder(source, LadderOptions(extra_seconds=5.0),
                           clock=lambda: next(ticks))

    assert {r.format for r in result.renditions} == {"jpeg"}
    assert sorted(result.left_out) == ["avif", "webp"]


def test_an_extra_format_that_fails_to_encode_is_left_out(monkeypatch):
    real_encode = ladder.encode

    def failing_avif(image, fmt, quality):
        if fmt == "avif":
            raise OSError("encoder error")
        return real_encode(image, fmt, quality)

    monkeypatch.setattr(ladder, "encode", failing_avif)
    result = render_ladder(saved(photo_image("rocket.jpg"), "JPEG"), LadderOptions())

    assert result.left_out == ("avif",)
    assert {r.format for r in result.renditions} == {"webp", "jpeg"}


def test_the_required_format_failing_to_encode_is_an_internal_failure(monkeypatch):
    # given: a photo that decodes, and a JPEG encoder that fails
    def failing_jpeg(image, fmt, quality):
        raise OSError("encoder error")

    monkeypatch.setattr(ladder, "encode", failing_jpeg)
    # when / then: the source is an image, so the code says the failure is ours
    with pytest.raises(ImageRejectedError, match="cannot be encoded as jpeg") as caught:
        render_ladder(saved(photo_image("rocket.jpg"), "JPEG"), LadderOptions())
    assert caught.value.code == FailureCode.INTERNAL
    assert "encoder error" not in str(caught.value)


def test_pixels_that_fail_while_resizing_are_not_an_image(monkeypatch):
    def truncated(*args):
        raise OSError("image file is truncated")

    monkeypatch.setattr(ladder, "resized_ladder", truncated)
    with pytest.raises(ImageRejectedError, match="corrupt") as caught:
        render_ladder(saved(photo_image("rocket.jpg"), "JPEG"), LadderOptions())
    assert caught.value.code == FailureCode.NOT_AN_IMAGE


def test_a_source_that_cannot_shrink_is_kept_without_its_metadata():
    # a tiny, heavily compressed JPEG: re-encoding at quality 80 only makes it larger
    source = hostile_jpeg(size=(96, 64), quality=15)

    result = render_ladder(source, LadderOptions(formats=("jpeg",)))

    [kept] = result.renditions
    assert kept.kept_source and kept.format == "jpeg" and len(kept.data) < len(source)
    assert b"SECRET" not in kept.data


def test_settings_the_ladder_cannot_make_are_refused():
    with pytest.raises(ValueError):
        LadderOptions(formats=("avif", "webp"), required="jpeg")
    with pytest.raises(ValueError):
        LadderOptions(widths=(320, 640), max_dimension=1600)
