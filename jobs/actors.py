"""The actors: envelopes that take ids, find the current message, and call the pipeline."""

from __future__ import annotations

from typing import NamedTuple

import dramatiq
from dramatiq.middleware import CurrentMessage

from jobs.errors import PermanentError
from jobs.pipeline import ImagePipeline
from models.jobs import (
    DELETE_PRODUCT_IMAGES,
    IMAGE_QUEUE,
    PROCESS_IMAGE,
    ImageJob,
    ProductImagesJob,
)


class Actors(NamedTuple):
    process_image: dramatiq.Actor
    delete_product_images: dramatiq.Actor


def declare_actors(broker: dramatiq.Broker, pipeline: ImagePipeline) -> Actors:
    """Declare the actors on ``broker``; their names are the ones the outbox rows carry."""

    # The arguments are the payload's fields: a message whose kwargs do not fit its type
    # fails with a TypeError, like a call with the wrong arguments.
    def process_image(**payload: object) -> None:
        message = CurrentMessage.get_current_message()
        pipeline.process_image(ImageJob(**payload),
                               message_id=message.message_id if message else None)

    def delete_product_images(**payload: object) -> None:
        pipeline.delete_product_images(ProductImagesJob(**payload))

    return Actors(
        # Permanent errors are not retried; everything else (timeouts, 5xx, a database or
        # object store that is down) is, with backoff.
        process_image=dramatiq.actor(process_image, broker=broker, actor_name=PROCESS_IMAGE,
                                     queue_name=IMAGE_QUEUE, throws=(PermanentError,)),
        delete_product_images=dramatiq.actor(
            delete_product_images, broker=broker, actor_name=DELETE_PRODUCT_IMAGES,
            queue_name=IMAGE_QUEUE),
    )
