"""How many messages wait in RabbitMQ queues, for the operators' view (docs/api.md).

A passive declare answers with the queue's message count and changes nothing; it works for
classic and quorum queues alike. The API asks this without Dramatiq (it never holds a broker
connection): one short connection per question, to the first node that answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pika
import pika.exceptions

#: Seconds to connect and to wait for each answer: the operators' page must not hang on a
#: broker that is down, it says so instead.
TIMEOUT = 2.0


def queue_depths(broker_urls: Sequence[str], queues: Sequence[str]) -> dict[str, int | None]:
    """Messages ready in each queue (None for one not declared yet); raises
    :class:`pika.exceptions.AMQPConnectionError` when no node answers."""
    failure: Exception | None = None
    for url in broker_urls:
        parameters = pika.URLParameters(url)
        parameters.socket_timeout = parameters.blocked_connection_timeout = TIMEOUT
        parameters.stack_timeout = TIMEOUT
        parameters.connection_attempts, parameters.retry_delay = 1, 0
        try:
            connection = pika.BlockingConnection(parameters)
        except pika.exceptions.AMQPConnectionError as error:
            failure = error
            continue
        try:
            return {name: _depth(connection, name) for name in queues}
        finally:
            if connection.is_open:
                connection.close()
    raise failure or pika.exceptions.AMQPConnectionError("no broker URL")


def _depth(connection: pika.BlockingConnection, queue: str) -> int | None:
    # A failed passive declare closes its channel: one channel per queue.
    channel = connection.channel()
    try:
        return channel.queue_declare(queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        if channel.is_open:
            channel.close()
