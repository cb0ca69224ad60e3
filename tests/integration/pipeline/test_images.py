"""Each kind of source through the whole pipeline, and the failures that are not retried."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from tests.support.hostile_images import (
    SECRETS,
    hostile_jpeg,
    hostile_png,
    hostile_webp,
)
from tests.support.photos import PHOTOS
from tests.support.pipeline import (
    create,
    jpeg_bytes,
    object_keys,
    rendition_urls,
    wait_until_settled,
)
from tests.support.processes import wait_for

pytestmark = pytest.mark.usefixtures("worker")


def fetch_copy(url: str) -> tuple[bytes, requests.Response]:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, url
    return response.content, response


def test_every_photo_reaches_done_and_every_copy_is_fetchable(api, account, images, s3):
    # given
    sources = {path.name: path.read_bytes() for path in sorted(PHOTOS.glob("*.*"))
               if path.suffix in (".png", ".jpg", ".gif")}
    urls = [images.add(name, data) for name, data in sources.items()]
    # when
    product = wait_until_settled(api, create(api, account, urls)["id"])
    # then
    assert product["image_status"] == "done", product["image_errors"]
    for (name, source), copy_url in zip(sources.items(), product["compressed_product_images"],
                                        strict=True):
        data, response = fetch_copy(copy_url)
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Type"].startswith("image/")
        assert len(data) <= len(source), name
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert max(image.size) <= 1600
        assert f"/products/{product['id']}/" in copy_url
    stored = {key.rsplit("/", 1)[1] for key in object_keys(s3, product["id"])}
    assert stored == {url.rsplit("/", 1)[1] for url in rendition_urls(product)}


def test_large_rotated_and_transparent_sources(api, account, images):
    # given: a 4000x3000 photo, a JPEG whose EXIF says "rotate 90", and a transparent PNG
    with Image.open(PHOTOS / "rocket.jpg") as rocket:
        large = jpeg_bytes(rocket.convert("RGB").resize((4000, 3000)))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "red").save(buffer, "JPEG", exif=exif.tobytes())
    rotated = buffer.getvalue()
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(buffer, "PNG")
    transparent = buffer.getvalue()
    urls = [images.add("large.jpg", large), images.add("rotated.jpg", rotated),
            images.add("clear.png", transparent)]
    # when
    product = wait_until_settled(api, create(api, account, urls)["id"])
    # then
    assert product["image_status"] == "done", product["image_errors"]
    sizes = []
    for url in product["compressed_product_images"]:
        with Image.open(io.BytesIO(fetch_copy(url)[0])) as image:
            sizes.append(image.size)
            if image.format == "JPEG" and image.size == (300, 300):
                assert image.convert("RGB").getpixel((150, 150)) == (255, 255, 255)
    assert sizes[0] == (1600, 1200)
    assert sizes[1] == (200, 400)


def test_transient_503_twice_then_success(api, account, images):
    images.add("coffee.png", (PHOTOS / "coffee.png").read_bytes())
    url = f"{images.base}/flaky/2/coffee.png"
    product = wait_until_settled(api, create(api, account, [url])["id"])
    assert product["image_status"] == "done", product["image_errors"]
    assert images.count("/flaky/2/coffee.png") == 3


@pytest.mark.parametrize(
    "path, reason_part",
    [("/status/404", "404"), ("/status/410", "410"), ("/html", "not"), ("/big", "large"),
     ("/img/bomb.png", "pixels")],
)
def test_permanent_failures_are_not_retried(api, account, images, path, reason_part):
    # given: a decompression bomb, 10000 x 10000 pixels in a few kilobytes
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    images.add("bomb.png", buffer.getvalue())
    # when
    product = wait_until_settled(api, create(api, account, [images.base + path])["id"])
    # then
    assert product["image_status"] == "failed"
    [error] = product["image_errors"]
    assert error["index"] == 0 and error["url"] == images.base + path
    assert reason_part in error["reason"].lower()
    assert images.count(path) == 1


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "[::ffff:169.254.169.254]", "[fe80::1%25lo]",
     # 0.0.0.0 reaches the image server on 127.0.0.1 if connected to: proof nothing was
     "0.0.0.0"],
)
def test_blocked_address_fails_without_a_request(api, account, images, host):
    # given: the worker may reach loopback (the image server), never these
    url = f"http://{host}:{images.port}/img/secret.png"
    images.add("secret.png", (PHOTOS / "logo.png").read_bytes())
    # when
    product = wait_until_settled(api, create(api, account, [url])["id"])
    # then: a permanent failure at once, naming the address, and no request
    assert product["image_status"] == "failed"
    [error] = product["image_errors"]
    assert error["url"] == url
    assert "not allowed" in error["reason"]
    assert images.count("/img/secret.png") == 0


def test_backslash_userinfo_trick_is_refused_by_the_api(api, account, images):
    # urllib.parse reads host 169.254.169.254, urllib3 would fetch from the image server
    url = f"{images.base}\\@169.254.169.254/img/secret.png"
    images.add("secret.png", (PHOTOS / "logo.png").read_bytes())
    result = api.simulate_post("/products", headers=account.auth, json={
        "product_name": "Photo set", "product_price": "10.00", "product_images": [url]})
    assert result.status_code == 422
    assert "product_images[0]" in result.json["description"]
    assert "backslash" in result.json["description"]
    assert images.count("/img/secret.png") == 0


def test_one_bad_image_of_three(api, account, images):
    good = [images.add(name, (PHOTOS / name).read_bytes()) for name in ("rocket.jpg", "logo.png")]
    urls = [good[0], f"{images.base}/status/404", good[1]]
    product = wait_until_settled(api, create(api, account, urls)["id"])
    assert product["image_status"] == "failed"
    assert [error["index"] for error in product["image_errors"]] == [1]
    copies = product["compressed_product_images"]
    assert copies[0] and copies[2] and copies[1] is None


def test_patch_queues_new_and_failed_urls_and_keeps_copies(api, account, images):
    # given: one image done and one failed
    done_url = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    fixable = f"{images.base}/fixable/chelsea.png"
    images.add("chelsea.png", (PHOTOS / "chelsea.png").read_bytes())
    product = wait_until_settled(api, create(api, account, [done_url, fixable])["id"])
    assert product["image_status"] == "failed"
    copy = product["compressed_product_images"][0]
    # when: the source is fixed and the images are reordered
    images.fix("chelsea.png")
    patched = api.simulate_patch(f"/products/{product['id']}", headers=account.auth,
                                 json={"product_images": [fixable, done_url]}).json
    assert patched["compressed_product_images"] == [None, copy]
    # then
    product = wait_until_settled(api, product["id"])
    assert product["image_status"] == "done"
    assert product["compressed_product_images"][1] == copy


def test_delete_removes_the_copies(api, account, images, s3):
    url = images.add("coffee.png", (PHOTOS / "coffee.png").read_bytes())
    product = wait_until_settled(api, create(api, account, [url])["id"])
    assert object_keys(s3, product["id"])
    api.simulate_delete(f"/products/{product['id']}", headers=account.auth)
    from tests.support.processes import wait_for
    wait_for(lambda: not object_keys(s3, product["id"]), timeout=30, message="copies removed")


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(name + " ") or line.startswith(name + "{"))


def test_worker_metrics_count_processed_and_failed_images(api, account, images, worker):
    # given: the worker's counters so far (this module's earlier tests used the same worker)
    def scrape() -> str:
        return requests.get(worker.metrics_url, timeout=5).text

    before = wait_for(scrape, timeout=30, message="the worker's metrics endpoint")
    good = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    # when
    created = create(api, account, [good, f"{images.base}/status/404"])
    product = wait_until_settled(api, created["id"])
    assert product["image_status"] == "failed"
    # then
    after = scrape()
    for name, grew_by in (("images_processed_total", 1), ("images_failed_total", 1),
                          ("dead_letters_total", 1)):
        assert metric(after, name) - metric(before, name) == grew_by, name
    assert metric(after, "image_bytes_in_total") - metric(before, "image_bytes_in_total") == len(
        (PHOTOS / "rocket.jpg").read_bytes())
    assert metric(after, "dramatiq_messages_total") > metric(before, "dramatiq_messages_total")


@pytest.mark.parametrize("make_source", [hostile_jpeg, hostile_png, hostile_webp],
                         ids=["jpeg", "png", "webp"])
def test_no_planted_metadata_reaches_the_public_bucket(api, account, images, make_source):
    # given a small source (kept or re-encoded, whichever is smaller) full of GPS, serials,
    # XMP, comments and text chunks
    source = make_source()
    url = images.add("hostile", source)

    # when
    product = wait_until_settled(api, create(api, account, [url])["id"])

    # then the public copy, fetched anonymously, carries none of it
    assert product["image_status"] == "done", product["image_errors"]
    data, _ = fetch_copy(product["compressed_product_images"][0])
    assert len(data) <= len(source)
    for secret in SECRETS:
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
