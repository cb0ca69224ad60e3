"""The jobs' payloads: one typed definition each, from which the outbox rows, the actors'
arguments and the dead letters' fields are all read.

Dramatiq's best practice holds: a payload carries ids and URLs, never rows or bytes.
"""

from __future__ import annotations

from typing import NamedTuple

IMAGE_QUEUE = "images"
#: Webhook deliveries, on worker threads of their own (docs/api.md).
WEBHOOK_QUEUE = "webhooks"
PROCESS_IMAGE = "process_image"
DELETE_PRODUCT_IMAGES = "delete_product_images"


class ImageJob(NamedTuple):
    """Make the compressed copy of one source image of a product."""

    product_id: int
    url: str
    request_id: str | None = None


class ProductImagesJob(NamedTuple):
    """Remove every stored copy of a deleted product."""

    product_id: int


Payload = ImageJob | ProductImagesJob

#: The payload type of each actor, by the name the outbox rows carry.
PAYLOADS: dict[str, type[ImageJob] | type[ProductImagesJob]] = {
    PROCESS_IMAGE: ImageJob,
    DELETE_PRODUCT_IMAGES: ProductImagesJob,
}


def payload_of(actor_name: str, kwargs: dict) -> Payload | None:
    """The typed payload of a message, or None when it is not one of ours (or malformed)."""
    payload_type = PAYLOADS.get(actor_name)
    if payload_type is None:
        return None
    try:
        return payload_type(**kwargs)
    except TypeError:
        return None


def job_kwargs(payload: Payload) -> dict:
    """The message's keyword arguments for ``payload`` (what the outbox row stores)."""
    return payload._asdict()
