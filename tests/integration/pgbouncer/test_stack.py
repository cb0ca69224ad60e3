"""The API (gunicorn), the relay and two workers with their DATABASE_URL on PgBouncer in
transaction-pooling mode: products with images all reach done, and reads, lists, edits and
deletes work, while PgBouncer spreads more clients than it has server sessions over them."""

from __future__ import annotations

import psycopg2
import pytest
import requests

from tests.conftest import TEST_DATABASE
from tests.support.environment import settings_env
from tests.support.photos import PHOTOS
from tests.support.pipeline import object_keys, rendition_urls
from tests.support.processes import ApiServer, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def server(pipeline_settings, bound_database, tmp_path_factory):
    api = ApiServer(settings_env(pipeline_settings),
                    log_path=tmp_path_factory.mktemp("api") / "api.log")
    yield api
    api.stop()


def test_pgbouncer_refuses_a_startup_options_parameter(pgbouncer):
    # what models/db.py used to send for the time zone: with it, nothing would connect
    with pytest.raises(psycopg2.OperationalError, match="unsupported startup parameter"):
        psycopg2.connect(pgbouncer.url(TEST_DATABASE), options="-c timezone=UTC")


def test_products_with_images_through_pgbouncer(server, worker_factory, pipeline_database,
                                                images, s3, pgbouncer):
    # given: two workers (each with its relay thread) and the API, all through PgBouncer
    worker_factory(), worker_factory()
    before = pgbouncer.transactions(TEST_DATABASE)
    base = server.url
    user = requests.post(f"{base}/users", json={"name": "Ada", "email": "ada@example.com"},
                         timeout=10).json()
    auth = {"Authorization": f"Bearer {user['api_key']}"}
    photos = [images.add(path.name, path.read_bytes())
              for path in sorted(PHOTOS.glob("*.*")) if path.suffix in (".png", ".jpg")]

    # when: products with two images each are created
    created = []
    for number in range(4):
        body = {"product_name": f"Lamp {number}", "product_price": f"{10 + number}.00",
                "product_images": [photos[number % len(photos)],
                                   photos[(number + 1) % len(photos)]]}
        result = requests.post(f"{base}/products", json=body, headers=auth, timeout=10)
        assert result.status_code == 201, result.text
        created.append(result.json())

    # then: every one reaches done, with every rendition stored, and timestamps in UTC
    def done(product_id: int) -> dict | None:
        product = requests.get(f"{base}/products/{product_id}", timeout=10).json()
        assert product["image_status"] != "failed", product["image_errors"]
        return product if product["image_status"] == "done" else None

    ready = [wait_for(lambda p=p: done(p["id"]), timeout=90, interval=0.2,
                      message=f"product {p['id']} done") for p in created]
    for product in ready:
        assert len(product["images"]) == 2 and all(
            image["renditions"] for image in product["images"])
        assert product["created_at"].endswith("Z") and product["updated_at"].endswith("Z")
        assert {key.rsplit("/", 1)[1] for key in object_keys(s3, product["id"])} == {
            url.rsplit("/", 1)[1] for url in rendition_urls(product)}

    # and: the list, an edit and a delete
    listed = requests.get(f"{base}/products", params={"user_id": user["id"], "max_price": 12},
                          timeout=10).json()["items"]
    assert [item["id"] for item in listed] == [p["id"] for p in reversed(created[:3])]
    first, last = created[0]["id"], created[-1]["id"]
    edited = requests.patch(f"{base}/products/{first}", headers=auth, timeout=10,
                            json={"product_price": "99.50", "product_images": [photos[0]]})
    assert edited.status_code == 200, edited.text
    assert requests.get(f"{base}/products/{first}", timeout=10).json()["product_price"] == "99.50"
    assert wait_for(lambda: done(first), timeout=60, message="the edited product done")
    deleted = requests.delete(f"{base}/products/{last}", headers=auth, timeout=10)
    assert deleted.status_code == 204
    assert requests.get(f"{base}/products/{last}", timeout=10).status_code == 404
    wait_for(lambda: not object_keys(s3, last), timeout=30,
             message="the deleted product's objects removed")

    # and: it all went through PgBouncer, more clients than server sessions
    assert pgbouncer.transactions(TEST_DATABASE) > before
    clients = [row for row in pgbouncer.show("CLIENTS") if row["database"] == TEST_DATABASE]
    servers = [row for row in pgbouncer.show("SERVERS") if row["database"] == TEST_DATABASE]
    assert len(servers) <= pgbouncer.pool_size < len(clients)
