"""A worker killed between the uploads of an image's renditions: no recorded URL points at a
missing object, and nothing the killed attempt uploaded is left over once the next one ends."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from PIL import Image

from tests.support.hostile_images import saved
from tests.support.photos import PHOTOS
from tests.support.pipeline import create, object_keys, rendition_urls, wait_until_settled
from tests.support.processes import wait_for
from tests.support.tcp_proxy import TcpProxy


def test_a_worker_killed_between_uploads_leaves_no_missing_object_and_no_orphan(
        api, account, images, s3, pipeline_settings, worker_factory):
    # given: a worker whose link to the object store is slow (20 kB/s), and a 2 MP photo,
    # whose 12 renditions take it seconds to upload
    host, port = pipeline_settings.s3_endpoint.rsplit(":", 1)
    slow_link = TcpProxy((host, int(port)), upload_rate=20_000)
    try:
        first = worker_factory(pipeline_settings.replace(
            s3_endpoint=f"127.0.0.1:{slow_link.port}"))
        with Image.open(PHOTOS / "rocket.jpg") as rocket:
            photo = saved(rocket.convert("RGB").resize((1600, 1067)), "JPEG", quality=90)
        product = create(api, account, [images.add("photo.jpg", photo)])

        # when: it is killed once some renditions are stored and before they are recorded
        def some_uploaded() -> bool:
            pending = api.simulate_get(f"/products/{product['id']}").json
            assert pending["image_status"] == "pending", "the uploads finished before the kill"
            return len(object_keys(s3, product["id"])) >= 1

        wait_for(some_uploaded, timeout=60, interval=0.02, message="a first upload")
        first.kill()
    finally:
        slow_link.close()
    partial = set(object_keys(s3, product["id"]))
    # the next worker, on a normal link, gets the message again and finishes the job
    worker_factory()
    product = wait_until_settled(api, product["id"])

    # then: the recorded set is complete, every URL of it answers, and nothing else is stored
    assert product["image_status"] == "done", product["image_errors"]
    recorded = rendition_urls(product)
    assert len(recorded) == 12  # 320, 640, 1024 and 1600 px in three formats
    stored = set(object_keys(s3, product["id"]))
    assert stored == {urlsplit(url).path.split("/", 2)[2] for url in recorded}
    assert partial < stored  # the killed attempt's objects are the same objects, reused
    for url in recorded:
        assert requests.get(url, timeout=10).status_code == 200, url
