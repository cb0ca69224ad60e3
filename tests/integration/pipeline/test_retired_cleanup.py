"""The removal of retired objects (models/retired.py, jobs.rerender's cleanup) against real
PostgreSQL and S3: it keeps off a product a worker is uploading a set to, and never removes
an object that the product uses again."""

from __future__ import annotations

import threading

import pytest
import requests

from core.unit_of_work import unit_of_work
from jobs.rerender import remove_retired
from jobs.storage import store_from_settings
from models.db import release
from models.retired import retire, uploading
from tests.support.rerender import insert_legacy, retired_rows


@pytest.fixture
def store(pipeline_settings, pipeline_database):
    pipeline_database.execute_sql("TRUNCATE retired_objects")
    release()
    return store_from_settings(pipeline_settings)


@pytest.fixture
def product(pipeline_settings, account, store) -> tuple[int, str]:
    product_id, key = insert_legacy(pipeline_settings, account.id, "http://example.com/a.jpg",
                                    b"\xff\xd8\xff legacy bytes")
    return product_id, key


def served(store, key: str) -> bool:  # noqa: ANN001
    return requests.get(store.url_for(key), timeout=10).status_code == 200


def test_the_cleanup_keeps_off_a_product_being_uploaded_to(store, product):
    product_id, _ = product
    unused = store.put(product_id, b"replaced rendition", extension="webp",
                       content_type="image/webp").key
    with unit_of_work():
        retire(product_id, [unused], 0)
    holding, done = threading.Event(), threading.Event()

    def worker() -> None:  # what a worker holds from its first upload to its commit
        with uploading(product_id):
            holding.set()
            done.wait(timeout=30)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        assert remove_retired(store) == 0
        assert served(store, unused) and list(retired_rows(product_id)) == [unused]
    finally:
        done.set()
        thread.join(timeout=10)

    assert remove_retired(store) == 1
    assert not served(store, unused) and retired_rows(product_id) == {}


def test_an_object_the_product_uses_again_only_loses_its_row(store, product):
    product_id, key = product  # its copy, still in compressed_product_images
    with unit_of_work():
        retire(product_id, [key], 0)

    assert remove_retired(store) == 0
    assert served(store, key) and retired_rows(product_id) == {}
