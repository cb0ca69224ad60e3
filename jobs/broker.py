"""Broker wiring: the RabbitMQ broker and the worker's middleware, built once per process.

The broker must exist before any actor is declared, so :mod:`jobs.runtime` calls
:func:`build_broker` first and only then :func:`jobs.actors.declare_actors`. The standalone
relay builds a broker with no middleware: it only publishes.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
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


def build_broker(settings: Settings, *, middleware: list[Middleware]) -> RabbitmqBroker:
    """The process's broker on ``settings.broker_url``, set as Dramatiq's global broker.

    Every node of the URL list is given to pika, which connects to the first that answers:
    a client whose node dies reconnects to another. (Dramatiq would split a string on
    ``;``; our setting is comma-separated, so it gets the list itself.)

    Parameters:
      middleware: :func:`worker_middleware` and more for a worker; none for a publisher.
    """
    broker = RabbitmqBroker(
        url=[amqp_url(url) for url in settings.broker_urls], confirm_delivery=True,
        middleware=middleware,
    )
    dramatiq.set_broker(broker)
    return broker
