"""Graceful shutdown of a worker: SIGTERM stops it taking messages and loses no job."""

from __future__ import annotations

import signal

from tests.support.photos import PHOTOS
from tests.support.pipeline import create, wait_until_settled


def test_sigterm_to_a_worker_loses_no_job(api, account, images, worker_factory):
    # given: a worker busy with one download, and a second product waiting in the queue
    worker = worker_factory(threads=1)
    images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    busy = create(api, account, [f"{images.base}/hang/rocket.jpg"])
    assert images.download_started.wait(timeout=60)
    waiting = create(api, account, [images.add("coffee.png", (PHOTOS / "coffee.png").read_bytes())])
    # when: the worker is told to stop, and the download it is in then completes
    worker.process.send_signal(signal.SIGTERM)
    images.release.set()
    assert worker.process.wait(timeout=60) == 0
    # then: the job it was running is done; the other is done by the next worker
    worker_factory()
    assert wait_until_settled(api, busy["id"])["image_status"] == "done"
    assert wait_until_settled(api, waiting["id"])["image_status"] == "done"
    # and the slow route was fetched once: the next worker did not redo the finished job
    assert images.count("/hang/rocket.jpg") == 1
