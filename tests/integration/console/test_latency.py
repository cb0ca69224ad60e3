"""How long a finished image takes to show: from the worker's commit (its
product.image.ready event's row) to the card's rendition firing `load` in Chromium, over 20
images. Measured and reported (test output and /tmp/notes/console-latency.txt), never
asserted on: it depends on the machine."""

from __future__ import annotations

import statistics
from pathlib import Path

import requests

from tests.integration.console.test_catalog import PHOTO_NAMES
from tests.support.photos import PHOTOS
from tests.support.processes import wait_for

IMAGES = 20
PER_PRODUCT = 10
REPORT = Path("/tmp/notes/console-latency.txt")


def percentile(values: list[float], share: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, round(share * (len(ranked) - 1)))]


def test_time_from_the_workers_commit_to_the_loaded_card(
        signed_in, images, worker, pipeline_database):
    console, account, watched, page = (signed_in.console, signed_in.account,
                                       signed_in.watched, signed_in.page)
    urls = [images.add(f"{n}-{PHOTO_NAMES[n % len(PHOTO_NAMES)]}",
                       (PHOTOS / PHOTO_NAMES[n % len(PHOTO_NAMES)]).read_bytes())
            for n in range(IMAGES)]

    for start in range(0, IMAGES, PER_PRODUCT):
        body = {"product_name": f"Set {start}", "product_price": "1",
                "product_images": urls[start:start + PER_PRODUCT]}
        created = requests.post(console.api.url + "/products", headers=account.auth,
                                timeout=10, json=body)
        assert created.status_code == 201, created.text
    wait_for(lambda: page.locator("figure.shot[data-loaded=true]").count() == IMAGES,
             timeout=240, interval=0.5, message=f"{IMAGES} loaded images")

    loaded = page.evaluate("""() => [...document.querySelectorAll("li.card")].flatMap(
        (card) => [...card.querySelectorAll("figure.shot")].map((figure, index) => [
            Number(card.dataset.productId), index, Number(figure.dataset.loadedAt)]))""")
    committed = {}
    for product_id, indexes, at in pipeline_database.execute_sql(
            "SELECT product_id, image_indexes, extract(epoch FROM created_at) * 1000 "
            "FROM events WHERE type = 'product.image.ready'").fetchall():
        for index in indexes:
            committed[(product_id, index)] = float(at)
    delays = [at - committed[(product_id, index)] for product_id, index, at in loaded]
    assert len(delays) == IMAGES and all(delay > 0 for delay in delays)

    line = (f"console latency, worker commit -> card image loaded, {IMAGES} images: "
            f"p50 {statistics.median(delays):.0f} ms, p95 {percentile(delays, 0.95):.0f} ms, "
            f"max {max(delays):.0f} ms")
    print(line)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(line + "\n" + " ".join(f"{delay:.0f}" for delay in sorted(delays)) + "\n")
    assert watched.errors == []
