"""The actors: envelopes that take ids, find the current message, and call the pipeline."""

from __future__ import annotations

from typing import NamedTuple

import dramatiq
from dramatiq.middleware import CurrentMessage

from jobs.errors import PermanentError
from jobs.pipeline import ImagePipeline
from models.outbox import DELETE_PRODUCT_IMAGES, IMAGE_QUEUE, PROCESS_IMAGE


class Actors(NamedTuple):
    process_image: dramatiq.Actor
    delete_product_images: dramatiq.Actor


def declare_actors(broker: dramatiq.Broker, pipeline: ImagePipeline) -> Actors:
    """Declare the actors on ``broker``; their names are the ones the outbox rows carry."""

    def process_image(product_id: int, url: str, request_id: str | None = None) -> None:
        message = CurrentMessage.get_current_message()
        pipeline.process_image(product_id, url, request_id=request_id,
                               message_id=message.message_id if message else None)

    def delete_product_images(product_id: int) -> None:
        pipeline.delete_product_images(product_id)

    return Actors(
        # Permanent errors are not retried; everything else (timeouts, 5xx, a database or
        # object store that is down) is, with backoff.
        process_image=dramatiq.actor(process_image, broker=broker, actor_name=PROCESS_IMAGE,
                                     queue_name=IMAGE_QUEUE, throws=(PermanentError,)),
        delete_product_images=dramatiq.actor(
            delete_product_images, broker=broker, actor_name=DELETE_PRODUCT_IMAGES,
            queue_name=IMAGE_QUEUE),
    )
