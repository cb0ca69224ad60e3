"""How each format's encoder quality was chosen, through a real worker: kept in the stored
media record (never in the representation) and counted in the worker's metrics, in fixed
mode and in target mode (IMAGE_QUALITY_MODE); and IMAGE_CHROMA=4:4:4 reaching the stored
renditions."""

from __future__ import annotations

import io

import requests
from PIL import Image, JpegImagePlugin

from jobs.ladder import format_quality
from jobs.quality import BOUNDS
from tests.support.photos import PHOTOS
from tests.support.pipeline import create, wait_until_settled
from tests.support.processes import wait_for

FORMATS = ("avif", "webp", "jpeg")


def stored_choices(database, product_id: int, url: str) -> dict:
    media = database.execute_sql("SELECT image_media FROM products WHERE id = %s",
                                 (product_id,)).fetchone()[0]
    return media[url]["quality"]


def samples(text: str, name: str) -> dict[str, float]:
    """``name``'s value per format label, from a Prometheus text page."""
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) + 1:].split("} ")
            fmt = dict(pair.split("=") for pair in labels.split(","))["format"].strip('"')
            found[fmt] = float(value)
    return found


def processed(api, account, images, worker, name: str) -> tuple[int, str, dict, str]:
    url = images.add(name, (PHOTOS / name).read_bytes())
    product = wait_until_settled(api, create(api, account, [url])["id"])
    assert product["image_status"] == "done", product["image_errors"]
    page = wait_for(lambda: requests.get(worker.metrics_url, timeout=5).text, timeout=30,
                    message="the worker's metrics endpoint")
    return product["id"], url, product, page


def test_fixed_mode_records_each_formats_quality(api, account, images, pipeline_database,
                                                 worker_factory, pipeline_settings):
    worker = worker_factory(pipeline_settings.replace(image_quality_mode="fixed"))
    product_id, url, product, page = processed(api, account, images, worker, "rocket.jpg")

    expected = {fmt: {"quality": format_quality(fmt, pipeline_settings.image_quality),
                      "score": None} for fmt in FORMATS}
    assert stored_choices(pipeline_database, product_id, url) == expected
    assert "quality" not in product["images"][0]
    assert all("quality" not in r for r in product["images"][0]["renditions"])
    # One observation per format and image, whatever its number of widths.
    assert samples(page, "image_encoder_quality_count") == {fmt: 1.0 for fmt in FORMATS}
    assert samples(page, "image_quality_score_count") == {}
    worker.stop()  # the module's next worker must be the only one taking jobs


def test_target_mode_records_the_searched_quality_and_its_score(
        api, account, images, pipeline_database, worker_factory, pipeline_settings):
    target = 72.0
    worker = worker_factory(pipeline_settings.replace(image_quality_mode="target",
                                                      image_quality_target=target))
    product_id, url, product, page = processed(api, account, images, worker, "rocket.jpg")

    choices = stored_choices(pipeline_database, product_id, url)
    assert set(choices) == set(FORMATS)
    for fmt, choice in choices.items():
        low, high = BOUNDS[fmt]
        assert low <= choice["quality"] <= high, (fmt, choice)
        # The target met, or the ceiling used without reaching it.
        assert (choice["score"] is not None and choice["score"] >= target) or \
            choice["quality"] == high, (fmt, choice)
    assert samples(page, "image_encoder_quality_count") == {fmt: 1.0 for fmt in FORMATS}
    scored = samples(page, "image_quality_score_count")
    assert scored == {fmt: 1.0 for fmt, choice in choices.items()
                      if choice["score"] is not None}
    assert scored, "no format's search reached its target"
    worker.stop()


def test_full_chroma_reaches_the_stored_jpeg_and_its_quality_record(
        api, account, images, pipeline_database, worker_factory, pipeline_settings):
    worker = worker_factory(pipeline_settings.replace(image_chroma="4:4:4"))
    product_id, url, product, _ = processed(api, account, images, worker, "rocket.jpg")

    quality = pipeline_settings.image_quality
    assert stored_choices(pipeline_database, product_id, url) == {
        fmt: {"quality": format_quality(fmt, quality, "4:4:4"), "score": None}
        for fmt in FORMATS}
    jpegs = [r for r in product["images"][0]["renditions"] if r["format"] == "jpeg"]
    assert jpegs
    for rendition in jpegs:
        stored = requests.get(rendition["url"], timeout=10)
        assert stored.status_code == 200
        assert JpegImagePlugin.get_sampling(Image.open(io.BytesIO(stored.content))) == 0
    worker.stop()
