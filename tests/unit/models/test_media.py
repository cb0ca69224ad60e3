"""models.media: the stored record of a rendition set and the ``images`` derived from a row."""

from __future__ import annotations

import msgspec

from models.media import (
    PRIVATE_FIELDS,
    MediaImage,
    images_of,
    legacy_image,
    media_record,
    srcset,
)

PLACEHOLDER = {"blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "dominant_color": "#8a6f4e"}


def rendition(fmt: str, width: int, height: int | None = None) -> dict:
    return {"format": fmt, "width": width, "height": height or width * 3 // 4, "bytes": width * 10,
            "url": f"https://cdn.example/p/1/{fmt}{width}.{fmt}"}


LADDER = [rendition(fmt, width) for fmt in ("avif", "webp", "jpeg") for width in (1600, 640, 320)]


def record(**changes) -> dict:
    return media_record(**{"width": 4032, "height": 3024, "placeholder": PLACEHOLDER,
                           "renditions": LADDER, "revision": "r1",
                           "required_format": "jpeg", **changes})


def test_srcset_lists_the_widths_smallest_first_with_real_width_descriptors():
    assert srcset([rendition("webp", 640), rendition("webp", 320, 200)]) == (
        "https://cdn.example/p/1/webp320.webp 320w, https://cdn.example/p/1/webp640.webp 640w")


def test_a_record_has_a_srcset_per_format_and_the_copy_is_the_required_formats_largest():
    stored = record()

    assert set(stored["srcset"]) == {"avif", "webp", "jpeg"}
    for fmt, value in stored["srcset"].items():
        assert [entry.rsplit(" ", 1)[1] for entry in value.split(", ")] == [
            "320w", "640w", "1600w"], fmt
    assert stored["copy"] == "https://cdn.example/p/1/jpeg1600.jpeg"


def test_a_kept_source_stands_in_for_the_largest_required_rendition_under_its_own_format():
    ladder = [r for r in LADDER if not (r["format"] == "jpeg" and r["width"] == 1600)]
    kept = {**rendition("png", 1600), "url": "https://cdn.example/p/1/source.png"}

    stored = record(renditions=ladder, stand_in=kept)

    assert stored["copy"] == kept["url"]
    assert stored["srcset"]["jpeg"].endswith("source.png 1600w")
    assert "png" not in stored["srcset"] and len(stored["renditions"]) == 9
    assert {"format": "png", **{k: kept[k] for k in ("width", "height", "bytes", "url")}} \
        in stored["renditions"]


def test_images_follow_the_sources_in_order_with_each_status():
    urls = ["https://a.example/ready.jpg", "https://a.example/old.jpg",
            "https://a.example/failed.jpg", "https://a.example/pending.jpg"]
    stored = record()
    error = {"code": "HTTP_STATUS", "message": "HTTP 404", "retryable": False, "attempts": 1,
             "http_status": 404}

    images = images_of(urls, [stored["copy"], "https://cdn.example/p/1/old.jpg", None, None],
                       {urls[0]: stored}, {urls[2]: error})

    assert [i["source_url"] for i in images] == urls
    assert [i["status"] for i in images] == ["ready", "ready", "failed", "pending"]
    ready, old, failed, pending = images
    assert (ready["width"], ready["height"], ready["revision"]) == (4032, 3024, "r1")
    assert ready["placeholder"] == PLACEHOLDER and len(ready["renditions"]) == 9
    assert not any(field in ready for field in PRIVATE_FIELDS)
    assert old == legacy_image(urls[1], "https://cdn.example/p/1/old.jpg")
    assert old["revision"] is None and len(old["renditions"]) == 1
    assert failed["error"] == error and failed["renditions"] == [] and failed["srcset"] == {}
    assert pending["placeholder"] is None and pending["error"] is None
    # every one is the documented shape
    msgspec.convert(images, list[MediaImage])


def test_a_legacy_failure_is_shown_with_what_is_known_of_it():
    url = "https://a.example/1.jpg"
    [image] = images_of([url], [None], {}, {url: "HTTP 404 from a.example"})
    assert image["error"] == {"code": None, "message": "HTTP 404 from a.example",
                              "retryable": None, "attempts": None}


def test_a_record_whose_copy_was_cleared_is_not_shown_as_ready():
    # an edit cleared the copy (the URL is pending again) while the record is still there
    url = "https://a.example/1.jpg"
    [image] = images_of([url], [None], {url: record()}, {})
    assert image["status"] == "pending" and image["renditions"] == []


def test_legacy_copies_name_their_format_from_the_extension():
    assert legacy_image("u", "https://cdn/x.webp")["renditions"][0]["format"] == "webp"
    assert legacy_image("u", "https://cdn/x.png")["srcset"] == {"png": "https://cdn/x.png"}
