"""``/admin``: the operators' endpoints (docs/api.md): the dead-letter archive with replay
and purge, and the pipeline's depths and recent failures. They do what
``python -m jobs.deadletters`` does, through the same :mod:`core.dead_letters`."""

from __future__ import annotations

from datetime import datetime

import falcon
import pika.exceptions

from api.bodies import read_body
from api.cursor import InvalidCursor, decode_key, encode_key
from api.operator import OperatorGate
from api.params import bad_parameter, query_int, refuse_unknown_parameters
from api.schemas import DeadLetterSelection
from core import dead_letters as operations
from core.cache import ProductCache
from core.queue_depths import queue_depths
from core.representation import dumps
from models import dead_letters
from models.dead_letters import DeadLetter
from models.jobs import IMAGE_QUEUE, WEBHOOK_QUEUE
from models.outbox import depth as outbox_depth
from models.pipeline_stats import failures_by_code

DEFAULT_PAGE_SIZE = 50
PAGE_SIZE_MAX = 200
PAGE_PARAMETERS = frozenset({"limit", "cursor"})
#: Delayed retries wait in Dramatiq's delay queue, beside the image queue itself.
IMAGE_DELAY_QUEUE = f"{IMAGE_QUEUE}.DQ"


def dead_letter_document(letter: DeadLetter) -> dict:
    return {"message_id": letter.message_id, "actor": letter.actor_name,
            "product_id": letter.product_id, "url": letter.image_url, "code": letter.code,
            "http_status": letter.http_status, "reason": letter.reason,
            "attempts": letter.attempts, "failed_at": letter.failed_at}


class Admin:
    """Parameters:
      gate: the OPERATOR_TOKEN check every operation starts with.
      cache: the product cache, which a replay invalidates.
      broker_urls: the RabbitMQ nodes the queue depths are asked of.
      cursor_secret: signs the archive's page cursors.
    """

    def __init__(self, *, gate: OperatorGate, cache: ProductCache,
                 broker_urls: tuple[str, ...], cursor_secret: bytes) -> None:
        self._gate = gate
        self._cache = cache
        self._broker_urls = broker_urls
        self._cursor_secret = cursor_secret

    def on_get_dead_letters(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._gate.require(req)
        refuse_unknown_parameters(req, PAGE_PARAMETERS, "the archive")
        limit = query_int(req, "limit", low=1, high=PAGE_SIZE_MAX, default=DEFAULT_PAGE_SIZE)
        rows = dead_letters.page(self._before(req), limit)
        next_cursor = None
        if len(rows) == limit:
            last = rows[-1]
            next_cursor = encode_key(f"{last.failed_at.isoformat()}|{last.message_id}",
                                     self._cursor_secret)
        resp.data = dumps({"items": [dead_letter_document(row) for row in rows],
                           "next_cursor": next_cursor, "total": dead_letters.count()})

    def on_post_replay(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._gate.require(req)
        ids = self._selection(req)
        done = operations.replay(ids, self._cache)
        resp.data = dumps(_outcome("replayed", ids, done))

    def on_post_purge(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._gate.require(req)
        ids = self._selection(req)
        done = operations.purge(ids)
        resp.data = dumps(_outcome("purged", ids, done))

    def on_get_pipeline(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._gate.require(req)
        refuse_unknown_parameters(req, frozenset(), "the pipeline's state")
        try:
            depths = queue_depths(self._broker_urls,
                                  [IMAGE_QUEUE, IMAGE_DELAY_QUEUE, WEBHOOK_QUEUE])
            broker = "ok"
        except pika.exceptions.AMQPError:
            depths, broker = {}, "unavailable"
        resp.data = dumps({
            "outbox_depth": outbox_depth(),
            "broker": broker,
            "image_queue_depth": depths.get(IMAGE_QUEUE),
            "image_retry_depth": depths.get(IMAGE_DELAY_QUEUE),
            "webhook_queue_depth": depths.get(WEBHOOK_QUEUE),
            "dead_letters": dead_letters.count(),
            "failures_last_hour": [{"code": code, "count": count}
                                   for code, count in failures_by_code(hours=1).items()],
        })

    def _before(self, req: falcon.Request) -> tuple[datetime, str] | None:
        cursor = req.get_param("cursor")
        if cursor is None:
            return None
        try:
            at, _, message_id = decode_key(cursor, self._cursor_secret).partition("|")
            return datetime.fromisoformat(at), message_id
        except (InvalidCursor, ValueError):
            raise bad_parameter("cursor", "a `next_cursor` this API returned") from None

    @staticmethod
    def _selection(req: falcon.Request) -> list[str] | None:
        body = read_body(req, DeadLetterSelection)
        return None if body.all else list(dict.fromkeys(body.message_ids))


def _outcome(verb: str, asked: list[str] | None, done: list[DeadLetter]) -> dict:
    found = {letter.message_id for letter in done}
    return {verb: [letter.message_id for letter in done],
            "not_found": [each for each in asked or () if each not in found]}
