"""Helpers of the re-rendering tests: ``python -m jobs.rerender`` as operators run it, and
products whose copy predates rendition records (legacy)."""

from __future__ import annotations

import os
import subprocess
import sys

from core.settings import Settings
from jobs.revision import settings_revision
from jobs.runtime import ladder_options
from jobs.storage import store_from_settings
from models.db import db, release
from tests.support.environment import settings_env
from tests.support.processes import REPO, wait_for


def run_rerender(settings: Settings, *args: str) -> str:
    """Run the command in a process of its own; returns its summary line (stdout)."""
    done = subprocess.run([sys.executable, "-m", "jobs.rerender", *args],
                          env={**os.environ, **settings_env(settings)}, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def revision_of(settings: Settings) -> str:
    return settings_revision(ladder_options(settings))


def insert_legacy(settings: Settings, user_id: int, url: str, data: bytes) -> tuple[int, str]:
    """A product whose one image has a copy (``data``, stored) and no record, as products
    made before records existed are. Returns its id and the copy's key."""
    product_id = db.execute_sql(
        "INSERT INTO products (user_id, product_name, product_images,"
        " compressed_product_images, image_failures, image_media, product_price)"
        " VALUES (%s, 'Legacy', ARRAY[%s], ARRAY[NULL::text], '{}', '{}', 1) RETURNING id",
        (user_id, url)).fetchone()[0]
    store = store_from_settings(settings)
    store.ensure_bucket()  # no worker may have made it yet
    stored = store.put(product_id, data, extension="jpg", content_type="image/jpeg")
    db.execute_sql("UPDATE products SET compressed_product_images = ARRAY[%s] WHERE id = %s",
                   (stored.url, product_id))
    release()
    return product_id, stored.key


def retired_rows(product_id: int) -> dict[str, object]:
    """The product's retired keys and when each may go."""
    rows = db.execute_sql("SELECT key, remove_after FROM retired_objects WHERE product_id = %s",
                          (product_id,)).fetchall()
    release()
    return dict(rows)


def wait_for_revision(api, product_id: int, revision: str) -> dict:  # noqa: ANN001 - TestClient
    """Poll the product until every image has ``revision``; its status must stay done."""
    def current():
        product = api.simulate_get(f"/products/{product_id}").json
        assert product["image_status"] == "done", product  # never anything else meanwhile
        return product if all(image["revision"] == revision
                              for image in product["images"]) else None
    return wait_for(current, timeout=60, interval=0.1, message=f"revision {revision}")
