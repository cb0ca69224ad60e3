"""What operators do with dead letters, shared by ``python -m jobs.deadletters`` and the
``/admin/dead-letters`` endpoints (docs/api.md), so the two can never disagree.

``replay`` queues each job again through the outbox, as a new message with a fresh retry
budget, and makes the image pending again (its error cleared, ``product.updated``); ``purge``
drops the record. Both take message ids, or None for every letter.
"""

from __future__ import annotations

import uuid

from core.cache import ProductCache
from core.unit_of_work import unit_of_work
from models.dead_letters import DeadLetter, take
from models.jobs import PROCESS_IMAGE
from models.outbox import add_job
from models.products import clear_image_failure


def is_message_id(text: str) -> bool:
    """Whether ``text`` can name a dead letter (message ids are UUIDs)."""
    try:
        uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def replay(message_ids: list[str] | None, cache: ProductCache) -> list[DeadLetter]:
    """Queue the dead letters again (all when ``message_ids`` is None); returns them."""
    with unit_of_work(cache) as work:
        letters = take(message_ids)
        for letter in letters:
            if letter.actor_name == PROCESS_IMAGE and letter.product_id and letter.image_url:
                clear_image_failure(letter.product_id, letter.image_url)
            add_job(letter.actor_name, letter.kwargs, queue_name=letter.queue_name,
                    message_id=str(uuid.uuid4()))
            if letter.product_id:
                work.invalidate(letter.product_id)
    return letters


def purge(message_ids: list[str] | None) -> list[DeadLetter]:
    """Drop the dead letters' records (all when ``message_ids`` is None); returns them."""
    with unit_of_work():
        return take(message_ids)
