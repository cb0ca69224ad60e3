"""Re-rendering through real workers (docs/api.md): legacy copies brought to the whole
ladder, replaced objects kept for the grace period and removed only after it, a dry run that
queues nothing, and a re-render that fails keeping the old set."""

from __future__ import annotations

import datetime

import pytest
import requests
from PIL import Image

from core.cache import cache_from_settings
from models.db import db, release
from models.jobs import PROCESS_IMAGE, ImageJob, job_kwargs
from models.outbox import add_job
from tests.support.photos import PHOTOS
from tests.support.pipeline import create, jpeg_bytes, rendition_urls, wait_until_settled
from tests.support.processes import wait_for
from tests.support.rerender import (
    insert_legacy,
    retired_rows,
    revision_of,
    run_rerender,
    wait_for_revision,
)

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture(autouse=True)
def no_retired_objects(pipeline_database):
    pipeline_database.execute_sql("TRUNCATE retired_objects")
    release()


def status_of(url: str) -> int:
    return requests.get(url, timeout=10).status_code


@pytest.fixture
def legacy(pipeline_settings, account, images):
    """A product whose one image is a copy made before records: rocket.jpg, re-encoded as
    the old worker did (so no rendition of the ladder has its bytes, nor its key)."""
    url = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    with Image.open(PHOTOS / "rocket.jpg") as source:
        copy = jpeg_bytes(source.convert("RGB"))
    product_id, key = insert_legacy(pipeline_settings, account.id, url, copy)
    return product_id, key, f"{pipeline_settings.s3_public_url}/{key}"


def test_a_legacy_copy_is_brought_to_the_whole_ladder(api, legacy, pipeline_settings):
    product_id, _, copy = legacy
    before = api.simulate_get(f"/products/{product_id}").json
    assert before["image_status"] == "done"
    assert [(i["status"], i["revision"], len(i["renditions"])) for i in before["images"]] == [
        ("ready", None, 1)]

    summary = run_rerender(pipeline_settings, "--product", str(product_id))

    revision = revision_of(pipeline_settings)
    assert summary.startswith(f"rerender: queued 1 image(s) of 1 product(s) for revision"
                              f" {revision}")
    product = wait_for_revision(api, product_id, revision)
    (image,) = product["images"]
    assert image["status"] == "ready" and image["placeholder"] is not None
    assert {r["format"] for r in image["renditions"]} == {"avif", "webp", "jpeg"}
    assert set(image["srcset"]) == {"avif", "webp", "jpeg"}
    assert product["compressed_product_images"] != [copy]
    assert product["compressed_product_images"][0] in rendition_urls(product)
    assert all(status_of(url) == 200 for url in rendition_urls(product))
    # and: run again, nothing is due
    assert run_rerender(pipeline_settings, "--product", str(product_id)).startswith(
        "rerender: queued 0 image(s) of 0 product(s)")


def test_replaced_objects_stay_for_the_grace_period_and_go_after_it(
        api, legacy, pipeline_settings):
    product_id, key, copy = legacy
    run_rerender(pipeline_settings, "--product", str(product_id))
    product = wait_for_revision(api, product_id, revision_of(pipeline_settings))

    # right after: the old copy is still served, and retired for RERENDER_GRACE_DAYS (7)
    assert status_of(copy) == 200
    (remove_after,) = retired_rows(product_id).values()
    assert list(retired_rows(product_id)) == [key]
    left = remove_after - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=6, hours=23) < left <= datetime.timedelta(days=7)
    # a cleanup before its time removes nothing
    assert run_rerender(pipeline_settings, "--cleanup-only").endswith(
        "; 0 retired object(s) removed")
    assert status_of(copy) == 200 and retired_rows(product_id)

    # the clock moves past remove_after: the next cleanup removes the object, then its row
    db.execute_sql("UPDATE retired_objects SET remove_after = now() - interval '1 second'")
    release()
    assert run_rerender(pipeline_settings, "--cleanup-only").endswith(
        "; 1 retired object(s) removed")
    assert status_of(copy) == 404 and retired_rows(product_id) == {}
    # the new set is whole
    assert all(status_of(url) == 200 for url in rendition_urls(product))
    assert api.simulate_get(f"/products/{product_id}").json == product


@pytest.fixture
def outbox_inserts(pipeline_database):
    """Every row ever inserted into the outbox while the test runs (the relays delete the
    published ones at once, so counting what is left would prove nothing)."""
    pipeline_database.execute_sql(
        "CREATE TABLE outbox_seen (kwargs jsonb);"
        "CREATE FUNCTION outbox_seen() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN INSERT INTO outbox_seen VALUES (NEW.kwargs); RETURN NEW; END $$;"
        "CREATE TRIGGER outbox_seen AFTER INSERT ON outbox"
        " FOR EACH ROW EXECUTE FUNCTION outbox_seen()")
    release()

    def seen() -> list[dict]:
        rows = pipeline_database.execute_sql("SELECT kwargs FROM outbox_seen").fetchall()
        release()
        return [row[0] for row in rows]

    yield seen
    pipeline_database.execute_sql(
        "DROP TRIGGER outbox_seen ON outbox; DROP FUNCTION outbox_seen(); DROP TABLE outbox_seen")
    release()


def test_a_dry_run_counts_and_queues_nothing(api, legacy, pipeline_settings, outbox_inserts):
    product_id, key, copy = legacy

    summary = run_rerender(pipeline_settings, "--dry-run", "--product", str(product_id))

    assert summary == (f"rerender: would queue 1 image(s) of 1 product(s) for revision"
                       f" {revision_of(pipeline_settings)}; 0 retired object(s) due for removal")
    assert outbox_inserts() == []
    # the real run queues exactly that one job (which shows the trigger sees what it should)
    run_rerender(pipeline_settings, "--product", str(product_id))
    assert [(job["product_id"], job["url"]) for job in outbox_inserts()] == [
        (product_id, api.simulate_get(f"/products/{product_id}").json["product_images"][0])]


def test_limit_and_batches_page_through_every_product(
        api, pipeline_settings, account, images, outbox_inserts):
    data = (PHOTOS / "rocket.jpg").read_bytes()
    ids = [insert_legacy(pipeline_settings, account.id, images.add(f"p{n}.jpg", data),
                         data)[0] for n in range(5)]

    # pages of 2 products: all 5 are found; --limit 3 takes the first 3 by id
    assert run_rerender(pipeline_settings, "--dry-run", "--batch-size", "2").startswith(
        "rerender: would queue 5 image(s) of 5 product(s)")
    run_rerender(pipeline_settings, "--limit", "3", "--batch-size", "2", "--no-cleanup")

    assert sorted(job["product_id"] for job in outbox_inserts()) == ids[:3]
    for product_id in ids[:3]:
        wait_for_revision(api, product_id, revision_of(pipeline_settings))
    assert run_rerender(pipeline_settings, "--dry-run").startswith(
        "rerender: would queue 2 image(s) of 2 product(s)")


def test_a_rerender_whose_source_is_gone_keeps_the_old_set(api, account, images,
                                                          pipeline_settings):
    url = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    product = wait_until_settled(api, create(api, account, [url])["id"])
    assert product["image_status"] == "done"
    # made by other settings: an older revision, and now the source answers 404
    db.execute_sql("UPDATE products SET image_media = jsonb_set(image_media,"
                   " ARRAY[%s, 'revision'], '\"r000000000000\"') WHERE id = %s",
                   (url, product["id"]))
    release()
    cache_from_settings(pipeline_settings).invalidate(product["id"])
    del images.images["rocket.jpg"]
    before = api.simulate_get(f"/products/{product['id']}").json

    run_rerender(pipeline_settings, "--product", str(product["id"]))

    def dead_letter():
        rows = db.execute_sql("SELECT code FROM dead_letters WHERE product_id = %s",
                              (product["id"],)).fetchall()
        release()
        return rows
    assert wait_for(dead_letter, timeout=30, message="the re-render's dead letter") == [
        ("HTTP_STATUS",)]
    after = api.simulate_get(f"/products/{product['id']}").json
    assert before["images"][0]["revision"] == "r000000000000"
    assert after == before  # status done, no error, the same set and revision
    assert after["image_status"] == "done" and after["image_errors"] == []
    assert all(status_of(each) == 200 for each in rendition_urls(after))
    assert retired_rows(product["id"]) == {}


def test_a_redelivery_after_success_is_still_skipped(api, account, images, worker):
    url = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    product = wait_until_settled(api, create(api, account, [url])["id"])
    assert images.count("/img/rocket.jpg") == 1

    with db.atomic():
        message_id = add_job(PROCESS_IMAGE, job_kwargs(ImageJob(product["id"], url)))
    release()

    wait_for(lambda: any(message_id in line and "already done" in line
                         for line in worker.log().splitlines()),
             timeout=30, message="the redelivered job to be skipped")
    assert images.count("/img/rocket.jpg") == 1
    assert api.simulate_get(f"/products/{product['id']}").json == product


def test_a_set_that_brings_back_retired_keys_takes_them_out_of_the_table(
        api, account, images, pipeline_settings):
    url = images.add("rocket.jpg", (PHOTOS / "rocket.jpg").read_bytes())
    product = wait_until_settled(api, create(api, account, [url])["id"])
    keys = [each.split(f"/{pipeline_settings.s3_bucket}/", 1)[1]
            for each in rendition_urls(product)]
    # an earlier replacement retired them (say, settings changed and changed back), and the
    # set is of another revision again
    db.execute_sql("INSERT INTO retired_objects SELECT k, %s, now() + interval '1 day'"
                   " FROM unnest(%s::text[]) AS k", (product["id"], keys))
    db.execute_sql("UPDATE products SET image_media = jsonb_set(image_media,"
                   " ARRAY[%s, 'revision'], '\"r000000000000\"') WHERE id = %s",
                   (url, product["id"]))
    release()
    cache_from_settings(pipeline_settings).invalidate(product["id"])

    run_rerender(pipeline_settings, "--product", str(product["id"]))

    after = wait_for_revision(api, product["id"], revision_of(pipeline_settings))
    assert rendition_urls(after) == rendition_urls(product)  # the same bytes, the same keys
    assert retired_rows(product["id"]) == {}
