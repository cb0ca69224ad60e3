"""Broker wiring: the RabbitMQ broker and the worker's middleware, built once per process.

The broker must exist before any actor is declared, so :mod:`jobs.runtime` calls
:func:`build_broker` first and only then :func:`jobs.actors.declare_actors`. The standalone
relay builds a broker with no middleware: it only publishes.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import dramatiq
import pika.exceptions
from dramatiq.brokers.rabbitmq import DEAD_MESSAGE_TTL, RabbitmqBroker, xq_name
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    ShutdownNotifications,
    TimeLimit,
)

from core.cache import ProductCache
from core.settings import Settings
from jobs.connections import DatabaseConnections
from jobs.metrics import ImageMetrics
from jobs.retries import DeadLetteringRetries

#: AMQP connection options that keep a broker in alarm (memory or disk) from hanging us:
#: heartbeats notice a dead peer, and blocked or silent connections time out.
CONNECTION_OPTIONS = {
    "heartbeat": "30",
    "blocked_connection_timeout": "10",
    "socket_timeout": "5",
    "stack_timeout": "10",
    "connection_attempts": "1",
}

#: Milliseconds an image job may run; downloads have their own shorter deadline, and
#: TimeLimit cannot interrupt blocking I/O anyway.
JOB_TIME_LIMIT_MS = 120_000

#: RabbitMQ closes a channel whose delivery stays unacknowledged for 30 minutes
#: (consumer_timeout), and delayed retries wait unacknowledged in worker memory.
MAX_BACKOFF_CEILING_MS = 20 * 60 * 1000


def amqp_url(broker_url: str) -> str:
    """``broker_url`` with our connection options added (the URL's own values win)."""
    parts = urlsplit(broker_url)
    given = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    query = urlencode({**CONNECTION_OPTIONS, **given})
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/%2F", query, parts.fragment))


class PrefetchPerThread(Middleware):
    """Prefetch one message per worker thread: image jobs are long, and a message prefetched
    by a busy process waits there while another process's threads sit idle."""

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        worker.queue_prefetch = worker.worker_threads


def worker_middleware(
    settings: Settings, *, cache: ProductCache, metrics: ImageMetrics
) -> list[Middleware]:
    """The standard stack of a worker process, dead-letter recording included.

    Parameters:
      cache: the product cache, invalidated when a failure is recorded on a product.
      metrics: counts failed images and dead letters.
    """
    retries = DeadLetteringRetries(
        max_retries=settings.image_max_retries,
        min_backoff=settings.image_retry_min_backoff_ms,
        max_backoff=min(settings.image_retry_max_backoff_ms, MAX_BACKOFF_CEILING_MS),
        cache=cache, metrics=metrics,
    )
    return [
        DatabaseConnections(),
        AgeLimit(),
        TimeLimit(time_limit=JOB_TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        retries,
        CurrentMessage(),
        PrefetchPerThread(),
    ]


#: Redeliveries of one message (a worker killed mid-job) before RabbitMQ itself would drop or
#: dead-letter it; RabbitMQ 4 defaults to 20. Far above what a crash loop of the same job could
#: reach before someone notices, so the project's own retries and archive decide its fate.
DELIVERY_LIMIT = 1000
QUORUM_ARGUMENTS = {"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT}


class QuorumBroker(RabbitmqBroker):
    """Dramatiq's RabbitMQ broker declaring quorum queues (RABBITMQ_QUEUE_TYPE=quorum).

    Dramatiq declares classic queues and has no option for others, so this overrides its two
    declaration hooks and nothing else; tests/unit/jobs/test_quorum_broker.py fails if an
    upgrade of Dramatiq changes what they declare. Quorum queues accept every argument kept
    here (dead-lettering, and message TTL since RabbitMQ 3.10); Dramatiq's priorities
    (``x-max-priority``) are not, and are never used by the project.
    """

    def _build_queue_arguments(self, queue_name: str) -> dict:
        return {**super()._build_queue_arguments(queue_name), **QUORUM_ARGUMENTS}

    def _declare_xq_queue(self, queue_name: str):  # noqa: ANN202 - pika's declare result
        # The base class declares these arguments inline; the test holds them equal.
        return self.channel.queue_declare(
            queue=xq_name(queue_name), durable=True,
            arguments={"x-message-ttl": DEAD_MESSAGE_TTL, **QUORUM_ARGUMENTS})


class QueueTypeMismatch(SystemExit):
    """A queue exists with the other type than RABBITMQ_QUEUE_TYPE says."""


def check_queue_types(broker: RabbitmqBroker, queue_type: str) -> None:
    """Declare the broker's queues now, as its workers would, so that a queue that exists with
    the other type stops the process at start with one line instead of failing each job.

    A broker that cannot be reached is left for later: the outbox holds the work meanwhile.
    """
    try:
        _declare_all(broker, queue_type)
    finally:
        # This thread's connection is not needed again: consumers and the relay have theirs.
        del broker.connection


def _declare_all(broker: RabbitmqBroker, queue_type: str) -> None:
    for queue in sorted(broker.get_declared_queues()):
        for declare in (broker._declare_queue, broker._declare_dq_queue,
                        broker._declare_xq_queue):
            try:
                declare(queue)
            except pika.exceptions.ChannelClosedByBroker as error:
                del broker.channel  # the broker closed it; the next use opens another
                if error.reply_code == 406:  # PRECONDITION_FAILED: inequivalent arguments
                    raise QueueTypeMismatch(
                        f"configuration error: RABBITMQ_QUEUE_TYPE={queue_type}, but a queue of"
                        f" {queue!r} exists with other arguments ({error.reply_text}); see"
                        " docs/api.md, Moving to quorum queues") from None
                raise
            except pika.exceptions.AMQPConnectionError:
                return


def build_broker(settings: Settings, *, middleware: list[Middleware]) -> RabbitmqBroker:
    """The process's broker on ``settings.broker_url``, set as Dramatiq's global broker.

    Every node of the URL list is given to pika, which connects to the first that answers:
    a client whose node dies reconnects to another. (Dramatiq would split a string on
    ``;``; our setting is comma-separated, so it gets the list itself.)

    Parameters:
      middleware: :func:`worker_middleware` and more for a worker; none for a publisher.
    """
    kind = QuorumBroker if settings.rabbitmq_queue_type == "quorum" else RabbitmqBroker
    broker = kind(
        url=[amqp_url(url) for url in settings.broker_urls], confirm_delivery=True,
        middleware=middleware,
    )
    dramatiq.set_broker(broker)
    return broker
