"""Helpers of the image pipeline tests: the broker vhost, products
made through the in-process API, and what landed in the bucket."""

from __future__ import annotations

import io
import subprocess

from minio import Minio

from tests.support.accounts import Account
from tests.support.processes import wait_for

VHOST = "product_catalog_test"
BUCKET = "test-images"
QUEUES = ("images", "images.DQ", "images.XQ", "webhooks", "webhooks.DQ", "webhooks.XQ")


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True,
                          timeout=60)


def create(api, account: Account, urls: list[str]) -> dict:  # noqa: ANN001 - a falcon TestClient
    result = api.simulate_post("/products", headers=account.auth, json={
        "product_name": "Photo set", "product_price": "10.00", "product_images": urls})
    assert result.status_code == 201, result.text
    return result.json


def wait_until_settled(api, product_id: int, *, timeout: float = 60) -> dict:  # noqa: ANN001
    """Poll the product until no image is pending."""
    def settled():
        product = api.simulate_get(f"/products/{product_id}").json
        return product if product["image_status"] != "pending" else None
    return wait_for(settled, timeout=timeout, interval=0.1,
                    message=f"product {product_id} to leave 'pending'")


def object_keys(s3: Minio, product_id: int) -> list[str]:
    return [item.object_name for item in s3.list_objects(BUCKET, prefix=f"products/{product_id}/",
                                                         recursive=True)]


def rendition_urls(product: dict) -> set[str]:
    """Every stored object a product's ``images`` point at."""
    return {r["url"] for image in product["images"] for r in image["renditions"]}


def jpeg_bytes(image) -> bytes:  # noqa: ANN001 - a PIL image
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
