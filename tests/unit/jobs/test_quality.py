"""jobs.quality and target mode: the search keeps its bounds, reaches the target or uses the
ceiling, is deterministic; fixed mode is unchanged; the choice is recorded."""

from __future__ import annotations

import io

import pytest
from PIL import Image, JpegImagePlugin

from jobs import ladder, quality
from jobs.ladder import LadderOptions, encode, format_quality, render_ladder
from jobs.quality import BOUNDS, TileScorer, search
from jobs.revision import settings_revision
from models.media import images_of, media_record
from tests.support.hostile_images import photo_image, saved

CODECS = {"pillow": "13.0.0", "jpg": "6.2", "webp": "1.6.0", "avif": "1.4.2"}


def linear(probed: list[int]):
    def score(q: int) -> float:
        probed.append(q)
        return float(q)  # the score rises with quality: q reaches target t when q >= t
    return score


@pytest.mark.parametrize(("target", "start"), [(63, 80), (71, 50), (88, 70), (50, 90)])
def test_the_lowest_reaching_quality_within_the_probe_budget(target, start):
    probed: list[int] = []
    choice = search(linear(probed), target, start, (50, 90), max_probes=8)
    assert choice.quality == target and choice.score == target
    assert all(50 <= q <= 90 for q in probed) and len(probed) <= 8


def test_few_probes_still_pick_a_quality_that_reaches_the_target():
    probed: list[int] = []
    choice = search(linear(probed), 61, 80, (40, 90), max_probes=3)
    assert len(probed) == 3 and choice.quality >= 61 and choice.score >= 61


def test_an_unreachable_target_uses_the_ceiling_and_a_trivial_one_the_floor():
    assert search(lambda q: 10.0, 70, 80, (50, 90)).quality == 90
    probed: list[int] = []
    choice = search(linear(probed), 0, 80, (50, 90), max_probes=10)
    assert choice.quality == 50 and min(probed) == 50


def test_the_start_is_clamped_to_the_bounds():
    probed: list[int] = []
    search(linear(probed), 95, 99, (50, 90))
    assert probed[0] == 90


def test_on_a_real_photo_the_chosen_quality_reaches_the_target_and_is_deterministic():
    image = photo_image("rocket.jpg").resize((320, 214))
    for fmt in ("jpeg", "webp", "avif"):
        scorer = TileScorer(image, encode)
        first = search(lambda q, fmt=fmt, s=scorer: s.score(fmt, q), 75.0, 80, BOUNDS[fmt])
        again = search(lambda q, fmt=fmt: TileScorer(image, encode).score(fmt, q), 75.0, 80,
                       BOUNDS[fmt])
        assert first == again
        low, high = BOUNDS[fmt]
        assert low <= first.quality <= high
        assert first.quality == high or first.score >= 75.0
        assert round(scorer.score(fmt, first.quality), 2) == first.score


def test_tiles_are_the_busiest_full_resolution_squares():
    image = photo_image("rocket.jpg")  # 640x427: 5 x 3 tiles of 128
    boxes = quality.tile_boxes(image)
    assert len(boxes) == quality.TILES and boxes == quality.tile_boxes(image)
    assert all(box[2] - box[0] == quality.TILE and box[0] % quality.TILE == 0 for box in boxes)
    small = image.resize((100, 60))
    assert quality.tile_boxes(small) == [(0, 0, 100, 60)]


#: A 320 px JPEG source: the ladder widths 160 and 1600 make a 320 and a 160 px rendition.
ROCKET = saved(photo_image("rocket.jpg").resize((320, 214)), "JPEG", quality=95)


def ladder_images(source: bytes) -> dict[tuple[int, int], object]:
    """The pixels render_ladder encodes for ``source`` at 320 and 160 px, by size."""
    decoded, _ = ladder.decode(source, LadderOptions().decode_options)
    return {i.size: i for i in ladder.resized_ladder(decoded, [(320, 214), (160, 107)], 1)}


def test_fixed_mode_is_byte_for_byte_the_fixed_quality():
    source = ROCKET
    result = render_ladder(source, LadderOptions(widths=(160, 1600)))
    images = ladder_images(source)
    for rendition in result.renditions:
        if rendition.kept_source:
            continue
        image = images[(rendition.width, rendition.height)]
        assert rendition.data == encode(image, rendition.format,
                                        format_quality(rendition.format, 80))
        assert rendition.quality == format_quality(rendition.format, 80)
        assert rendition.score is None


def test_target_mode_records_one_quality_and_score_per_format_within_bounds():
    source = ROCKET
    result = render_ladder(source, LadderOptions(widths=(160, 1600), quality_mode="target",
                                                 quality_target=72.0))
    by_format: dict[str, set] = {}
    for rendition in result.renditions:
        if not rendition.kept_source:
            by_format.setdefault(rendition.format, set()).add((rendition.quality,
                                                               rendition.score))
    assert set(by_format) == {"avif", "webp", "jpeg"}
    for fmt, chosen in by_format.items():
        [(q, score)] = chosen  # one search per format, reused for the smaller width
        assert BOUNDS[fmt][0] <= q <= BOUNDS[fmt][1]
        assert q == BOUNDS[fmt][1] or score >= 72.0
        # What the worker counts in its metrics.
        assert (result.choices[fmt].quality, result.choices[fmt].score) == (q, score)
    assert set(result.choices) == set(by_format)


def test_the_revision_changes_with_the_mode_and_the_target_and_fixed_stays_as_it_was():
    fixed = settings_revision(LadderOptions(), CODECS)
    # the same as before target mode existed: a fixed catalog is not re-rendered
    assert fixed == settings_revision(LadderOptions(quality_target=55.0), CODECS)
    target = settings_revision(LadderOptions(quality_mode="target"), CODECS)
    assert target != fixed
    assert settings_revision(LadderOptions(quality_mode="target", quality_target=75.0),
                             CODECS) != target
    with pytest.raises(ValueError):
        LadderOptions(quality_mode="auto")


def test_the_record_keeps_the_chosen_quality_but_clients_do_not_see_it():
    renditions = [{"format": "jpeg", "width": 10, "height": 5, "bytes": 9, "url": "u/a.jpg",
                   "quality": 71, "score": 74.2},
                  {"format": "webp", "width": 10, "height": 5, "bytes": 8, "url": "u/a.webp",
                   "quality": 66, "score": 70.9}]
    record = media_record(width=10, height=5, placeholder={"blurhash": "x",
                                                           "dominant_color": "#000000"},
                          renditions=renditions, revision="r1", required_format="jpeg")
    assert record["quality"] == {"jpeg": {"quality": 71, "score": 74.2},
                                 "webp": {"quality": 66, "score": 70.9}}
    [shown] = images_of(["s"], ["u/a.jpg"], {"s": record}, {})
    assert "quality" not in shown and all("quality" not in r for r in shown["renditions"])


def test_encode_overrides_replace_the_formats_own_arguments():
    # benchmarks/quality_bound.py tries 4:4:4 chroma through these; the worker passes none.
    image = photo_image("rocket.jpg").resize((160, 107))
    default, full = encode(image, "jpeg", 80), encode(image, "jpeg", 80, subsampling=0)
    assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(default))) == 2  # 4:2:0
    assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(full))) == 0  # 4:4:4
    assert encode(image, "jpeg", 80, optimize=False) != default  # a FORMATS argument replaced


def test_full_chroma_encodes_jpeg_and_avif_at_4_4_4_and_their_own_quality_and_webp_as_before():
    source = ROCKET
    half = render_ladder(source, LadderOptions(widths=(160, 1600)))
    full = render_ladder(source, LadderOptions(widths=(160, 1600), chroma="4:4:4"))
    images = ladder_images(source)
    webp = [(r.width, r.data) for r in half.renditions if r.format == "webp"]
    assert [(r.width, r.data) for r in full.renditions if r.format == "webp"] == webp
    for rendition in full.renditions:
        if rendition.kept_source or rendition.format == "webp":
            continue
        quality = format_quality(rendition.format, 80, "4:4:4")
        assert rendition.quality == quality < format_quality(rendition.format, 80)
        image = images[(rendition.width, rendition.height)]
        assert rendition.data == encode(image, rendition.format, quality,
                                        **ladder.CHROMA["4:4:4"][rendition.format])
        if rendition.format == "jpeg":
            assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(rendition.data))) == 0


@pytest.mark.parametrize("size", [(512, 340), (100, 60)])
def test_the_mosaics_tile_ssims_are_each_tiles_own_ssim(size):
    # The scorer computes the windows of all tiles at once and keeps the reference's
    # statistics across probes; that must be what scoring each tile alone gives.
    image = photo_image("rocket.jpg").resize(size)
    scorer = TileScorer(image, encode)
    tiles = quality.mosaic(image, quality.tile_boxes(image))
    reference = quality.luma(tiles)
    for fmt, level in (("jpeg", 40), ("webp", 60), ("avif", 50)):
        other = quality.luma(Image.open(io.BytesIO(encode(tiles, fmt, level))))
        step = quality.TILE if size[0] > quality.TILE else size[0]
        alone = [quality.ssim_arrays(reference[:, x:x + step], other[:, x:x + step])
                 for x in range(0, reference.shape[1], step)]
        assert scorer.tile_ssims(other) == pytest.approx(alone, abs=1e-12)
        assert len(alone) == (quality.TILES if size[0] > quality.TILE else 1)
