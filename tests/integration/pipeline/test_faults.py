"""Nothing is lost: a worker killed mid-job, RabbitMQ stopped while a product is created,
and a dead letter replayed once its source is fixed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.environment import settings_env
from tests.support.photos import PHOTOS
from tests.support.pipeline import (
    create,
    object_keys,
    rabbitmqctl,
    rendition_urls,
    wait_until_settled,
)
from tests.support.processes import REPO, wait_for


def test_worker_killed_mid_download_leaves_the_job_to_be_redone(
    api, account, images, s3, worker_factory
):
    # given: a worker that has begun downloading
    first = worker_factory()
    images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    product = create(api, account, [f"{images.base}/hang/rocket.jpg"])
    assert images.download_started.wait(timeout=60), "the download never began"
    # when: it is killed without warning, and a new worker starts
    first.kill()
    images.release.set()
    worker_factory()
    # then
    product = wait_until_settled(api, product["id"])
    assert product["image_status"] == "done"
    assert images.count("/hang/rocket.jpg") >= 2
    # one set of renditions, no orphans of the killed attempt beside it
    stored = {key.rsplit("/", 1)[1] for key in object_keys(s3, product["id"])}
    assert stored == {url.rsplit("/", 1)[1] for url in rendition_urls(product)}
    assert len(stored) == 6  # 640 and 320 px, in AVIF, WebP and JPEG


def test_product_created_while_rabbitmq_is_stopped_is_processed_when_it_returns(
    api, account, images, worker
):
    url = images.add("coffee.png", (PHOTOS / "coffee.png").read_bytes())
    stopped = rabbitmqctl("stop_app")
    assert stopped.returncode == 0, stopped.stderr
    try:
        # when: the API takes the product while the broker is down
        created = api.simulate_post("/products", headers=account.auth, json={
            "product_name": "Mug", "product_price": 3, "product_images": [url]})
        assert created.status_code == 201
        assert api.simulate_get(f"/products/{created.json['id']}").json["image_status"] == "pending"
    finally:
        started = rabbitmqctl("start_app")
    assert started.returncode == 0, started.stderr
    # then: done, with no operator action
    product = wait_until_settled(api, created.json["id"], timeout=120)
    assert product["image_status"] == "done"


def run_deadletters(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jobs.deadletters", *args], cwd=REPO, capture_output=True,
        text=True, timeout=60, env={**os.environ, **settings_env(settings)},
    )


def test_dead_letter_is_listed_and_replay_brings_it_to_done(
    api, account, images, worker, pipeline_settings
):
    # given: an image whose source answers 404
    images.add("chelsea.png", (PHOTOS / "chelsea.png").read_bytes())
    url = f"{images.base}/fixable/chelsea.png"
    product = wait_until_settled(api, create(api, account, [url])["id"])
    assert product["image_status"] == "failed"
    # when: an operator lists the dead letters
    listed = run_deadletters(pipeline_settings, "list")
    # then
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if url in line]
    message_id, product_id, _url, _code, reason, attempts, _when = row.split("\t")
    assert int(product_id) == product["id"] and "404" in reason and attempts == "1"
    # when: the source is fixed and the dead letter replayed
    images.fix("chelsea.png")
    replayed = run_deadletters(pipeline_settings, "replay", message_id)
    assert replayed.returncode == 0, replayed.stderr
    # then: pending again at once, then done, and no longer listed
    assert api.simulate_get(f"/products/{product['id']}").json["image_status"] in (
        "pending", "done")
    assert wait_until_settled(api, product["id"])["image_status"] == "done"
    assert url not in run_deadletters(pipeline_settings, "list").stdout
    # and: replaying it again does nothing, and says so
    again = run_deadletters(pipeline_settings, "replay", message_id)
    assert again.returncode == 1 and "not found" in again.stderr


def test_purge_drops_dead_letters(api, account, images, worker, pipeline_settings):
    product = wait_until_settled(
        api, create(api, account, [f"{images.base}/status/404"])["id"])
    assert product["image_status"] == "failed"
    wait_for(lambda: "404" in run_deadletters(pipeline_settings, "list").stdout, timeout=10,
             message="the dead letter to be listed")
    purged = run_deadletters(pipeline_settings, "purge", "--all")
    assert purged.returncode == 0 and "purge: " in purged.stdout
    assert "no dead letters" in run_deadletters(pipeline_settings, "list").stdout


LIST_HEADER = ["message_id", "product", "url", "code", "reason", "attempts", "failed_at"]


@pytest.mark.parametrize(("path", "code", "http_status", "retryable"), [
    ("/status/404", "HTTP_STATUS", 404, False),
    ("/status/503", "HTTP_STATUS", 503, True),  # transient: retried until the budget is used
    ("/html", "NOT_AN_IMAGE", None, False),
    (None, "BLOCKED_ADDRESS", None, False),  # the metadata service: no request at all
])
def test_the_failure_code_is_the_same_on_the_product_in_the_archive_and_in_the_list(
    api, account, images, worker, pipeline_settings, pipeline_database,
    path, code, http_status, retryable,
):
    # given: a source that fails for good
    url = (images.base + path if path is not None
           else f"http://169.254.169.254:{images.port}/img/secret.png")
    # when
    product = wait_until_settled(api, create(api, account, [url])["id"])
    # then: the product's stored failure is the documented object, with the code
    assert product["image_status"] == "failed"
    [stored] = pipeline_database.execute_sql(
        "SELECT image_failures -> %s FROM products WHERE id = %s", (url, product["id"])
    ).fetchone()
    attempts = images.count(path) if path is not None else 1
    expected = {"code": code, "message": product["image_errors"][0]["reason"],
                "retryable": retryable, "attempts": attempts}
    if http_status is not None:
        expected["http_status"] = http_status
    assert stored == expected
    assert product["image_errors"][0]["code"] == code
    # and: the dead letter (written in the same transaction) carries the same code
    archived = pipeline_database.execute_sql(
        "SELECT code, http_status, attempts FROM dead_letters WHERE image_url = %s", (url,)
    ).fetchall()
    assert archived == [(code, http_status, attempts)]
    # and: the operators' list shows it in its code column
    listed = run_deadletters(pipeline_settings, "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split("\t") == LIST_HEADER
    [row] = [dict(zip(LIST_HEADER, line.split("\t"), strict=True))
             for line in rows if url in line]
    assert row["code"] == code and row["attempts"] == str(attempts)
