"""A product's life as events, through the API and a real worker: created, each image's
result, images.finished each time the product leaves pending (also after a dead letter's
replay, which is a product.updated), the update and the deletion, in order, with versions
that grow by one per commit, read from the feed."""

from __future__ import annotations

import pytest

from tests.integration.pipeline.test_faults import run_deadletters
from tests.support.photos import PHOTOS
from tests.support.pipeline import create, wait_until_settled
from tests.support.processes import wait_for

pytestmark = pytest.mark.usefixtures("worker")


def events_until(api, account, last_type: str, count: int) -> list[dict]:  # noqa: ANN001
    def ready():
        result = api.simulate_get(f"/users/{account.id}/events", headers=account.auth)
        assert result.status_code == 200, result.text
        items = result.json["items"]
        return items if len(items) >= count and items[-1]["type"] == last_type else None
    return wait_for(ready, timeout=60, interval=0.1,
                    message=f"{count} events ending with {last_type}")


def commits(items: list[dict]) -> list[list[str]]:
    """The event types grouped by commit (consecutive events sharing a version)."""
    groups: list[list[str]] = []
    version = None
    for item in items:
        if item["data"]["version"] != version:
            groups.append([])
            version = item["data"]["version"]
        groups[-1].append(item["type"])
    return groups


def test_a_products_life_is_its_events_in_order(api, account, images, pipeline_settings):
    images.add("chelsea.png", (PHOTOS / "chelsea.png").read_bytes())
    good, fixable = f"{images.base}/img/chelsea.png", f"{images.base}/fixable/chelsea.png"
    product = create(api, account, [good, fixable])
    assert wait_until_settled(api, product["id"])["image_status"] == "failed"
    items = events_until(api, account, "product.images.finished", 4)

    images.fix("chelsea.png")
    [row] = [line for line in run_deadletters(pipeline_settings, "list").stdout.splitlines()
             if fixable in line]
    assert run_deadletters(pipeline_settings, "replay", row.split("\t")[0]).returncode == 0
    wait_for(lambda: api.simulate_get(f"/products/{product['id']}").json["image_status"]
             == "done", timeout=60, interval=0.1, message="the replayed image")
    assert api.simulate_patch(f"/products/{product['id']}", headers=account.auth,
                              json={"product_name": "Renamed"}).status_code == 200
    assert api.simulate_delete(f"/products/{product['id']}",
                               headers=account.auth).status_code == 204
    items = events_until(api, account, "product.deleted", 9)

    results = {"product.image.ready", "product.image.failed"}
    groups = commits(items)
    assert groups[0] == ["product.created"]
    assert {tuple(g) for g in groups[1:3]} <= {("product.image.ready",),
                                                ("product.image.failed",),
                                                ("product.image.ready", "product.images.finished"),
                                                ("product.image.failed", "product.images.finished")}
    assert {g[0] for g in groups[1:3]} == results and groups[2][-1] == "product.images.finished"
    assert groups[3:] == [["product.updated"], ["product.image.ready", "product.images.finished"],
                          ["product.updated"], ["product.deleted"]]
    # One version per commit, one more each time, shown in the representation too.
    assert [item["data"]["version"] for item in items] == sorted(
        item["data"]["version"] for item in items)
    assert sorted({item["data"]["version"] for item in items}) == list(range(1, 8))
    for item in items:
        data = item["data"]
        assert data["product"]["version"] == data["version"]
        assert data["product_id"] == product["id"] and data["user_id"] == account.id
        if item["type"] in results:
            assert data["product"]["product_images"][data["image_indexes"][0]] == \
                data["source_url"]
        else:
            assert "source_url" not in data
    finished = [item for item in items if item["type"] == "product.images.finished"]
    assert [f["data"]["product"]["image_status"] for f in finished] == ["failed", "done"]
    replay = groups.index(["product.updated"])
    assert items[sum(map(len, groups[:replay]))]["data"]["product"]["image_status"] == "pending"
    failed = next(item for item in items if item["type"] == "product.image.failed")
    assert failed["data"]["source_url"] == fixable and failed["data"]["image_indexes"] == [1]
    assert items[-1]["data"]["product"]["product_name"] == "Renamed"


def test_a_worker_prunes_expired_events_soon_after_it_starts(
        api, account, pipeline_database, worker_factory):
    # Half of them expired: more than one batch of 1,000.
    pipeline_database.execute_sql(
        "INSERT INTO events (type, user_id, product_id, version, product, created_at)"
        " SELECT 'product.updated', %s, 1, 1, '{}', now() - make_interval(days => 8 * (n %% 2))"
        " FROM generate_series(1, 3000) AS n", (account.id,))

    def remaining() -> int:
        return pipeline_database.execute_sql("SELECT count(*) FROM events").fetchone()[0]

    assert remaining() == 3000
    worker_factory()  # its pruner's first pass runs a few seconds after boot
    wait_for(lambda: remaining() == 1500, timeout=60, interval=0.2,
             message="the worker to prune the expired events")
