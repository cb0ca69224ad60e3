"""Re-rendering a product made under other settings (docs/api.md): made by a worker with
IMAGE_FORMATS=jpeg, re-rendered by ``jobs.rerender`` and a worker with the defaults, while a
reader polls the product and fetches every rendition it is shown.

A module of its own: the jpeg-only worker must be the only one taking jobs while the product
is made, so no default worker of another module may be running."""

from __future__ import annotations

import threading

import pytest
import requests

from models.db import release
from tests.support.photos import PHOTOS
from tests.support.pipeline import create, wait_until_settled
from tests.support.rerender import revision_of, run_rerender, wait_for_revision

NAMES = ("rocket.jpg", "coffee.png", "chelsea.png")
LADDER_FORMATS = {"avif", "webp", "jpeg"}


@pytest.fixture(autouse=True)
def no_retired_objects(pipeline_database):
    pipeline_database.execute_sql("TRUNCATE retired_objects")
    release()


class Reader(threading.Thread):
    """GETs the product over and over until stopped, noting every read that shows an image
    with a mix of the two sets, an incomplete new set, a rendition whose object is missing,
    or a status other than done."""

    def __init__(self, api, product_id: int, old: dict[str, set[str]], old_revision: str,  # noqa: ANN001
                 new_revision: str) -> None:
        super().__init__(daemon=True)
        self._api, self._product_id = api, product_id
        self._old, self._old_revision, self._new_revision = old, old_revision, new_revision
        self.stop = threading.Event()
        self.saw_all_new = threading.Event()
        self.problems: list[str] = []
        self.reads = {"old": 0, "new": 0}

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            try:
                self._read(session)
            except Exception as error:  # noqa: BLE001 - a failing read is a finding
                self.problems.append(f"read failed: {error!r}")
            finally:
                release()

    def _read(self, session: requests.Session) -> None:
        product = self._api.simulate_get(f"/products/{self._product_id}").json
        if product["image_status"] != "done":
            self.problems.append(f"image_status {product['image_status']}")
        revisions = []
        for image, copy in zip(product["images"], product["compressed_product_images"],
                               strict=True):
            urls = {r["url"] for r in image["renditions"]}
            revisions.append(image["revision"])
            if image["revision"] == self._old_revision:
                if urls != self._old[image["source_url"]]:
                    self.problems.append(f"old revision, other renditions: {urls}")
            elif image["revision"] == self._new_revision:
                listed = {entry.strip().rsplit(" ", 1)[0] for value in image["srcset"].values()
                          for entry in value.split(",")}
                if set(image["srcset"]) != LADDER_FORMATS or not listed <= urls \
                        or urls & self._old[image["source_url"]] - listed:
                    self.problems.append(f"new revision, incomplete or mixed: {image}")
            else:
                self.problems.append(f"unknown revision {image['revision']}")
            if copy not in urls:
                self.problems.append(f"copy {copy} not among the renditions")
            for url in urls | {copy}:
                status = session.head(url, timeout=10).status_code
                if status != 200:
                    self.problems.append(f"{url}: {status}")
        for revision in revisions:
            self.reads["old" if revision == self._old_revision else "new"] += 1
        if all(revision == self._new_revision for revision in revisions):
            self.saw_all_new.set()


def test_a_jpeg_only_product_reaches_the_whole_ladder_while_readers_see_one_set(
        api, account, images, worker_factory, pipeline_settings):
    jpeg_settings = pipeline_settings.replace(image_formats=("jpeg",))
    old_revision, new_revision = revision_of(jpeg_settings), revision_of(pipeline_settings)
    assert old_revision != new_revision
    jpeg_worker = worker_factory(jpeg_settings)
    urls = [images.add(name, (PHOTOS / name).read_bytes()) for name in NAMES]
    product = wait_until_settled(api, create(api, account, urls)["id"])
    jpeg_worker.stop()
    assert product["image_status"] == "done"
    assert {image["revision"] for image in product["images"]} == {old_revision}
    assert all(r["format"] in ("jpeg", "png") for image in product["images"]
               for r in image["renditions"])  # png: a kept source standing in
    old = {image["source_url"]: {r["url"] for r in image["renditions"]}
           for image in product["images"]}

    reader = Reader(api, product["id"], old, old_revision, new_revision)
    reader.start()
    try:
        worker_factory()  # the defaults: avif, webp, jpeg
        summary = run_rerender(pipeline_settings)
        assert summary.startswith(
            f"rerender: queued 3 image(s) of 1 product(s) for revision {new_revision}")
        done = wait_for_revision(api, product["id"], new_revision)
        assert reader.saw_all_new.wait(timeout=30)
    finally:
        reader.stop.set()
        reader.join(timeout=30)

    assert reader.problems == []
    assert reader.reads["old"] > 0 and reader.reads["new"] > 0, reader.reads
    for image in done["images"]:
        assert image["status"] == "ready" and set(image["srcset"]) == LADDER_FORMATS
        assert {r["format"] for r in image["renditions"]} >= {"avif", "webp"}
    # and: nothing is due any more
    assert run_rerender(pipeline_settings, "--dry-run").startswith(
        "rerender: would queue 0 image(s)")
