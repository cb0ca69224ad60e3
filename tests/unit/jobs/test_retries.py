"""DeadLetteringRetries with a stand-in broker (no RabbitMQ needed for these rules).

The recording itself (PostgreSQL) is replaced by a list: these tests are about when it runs.
"""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker

import jobs.retries
from jobs.errors import PermanentFetchError, TransientFetchError
from jobs.metrics import ImageMetrics
from jobs.retries import DeadLetteringRetries


class FailingEnqueueBroker(StubBroker):
    def enqueue(self, message, *, delay=None):
        raise dramatiq.errors.ConnectionClosed(OSError("broker gone"))


CACHE = object()
METRICS = ImageMetrics()


@pytest.fixture
def setup(monkeypatch):
    recorded = []

    def record(message, error, *, cache, metrics):
        assert (cache, metrics) == (CACHE, METRICS)
        recorded.append((message.message_id, error))

    monkeypatch.setattr(jobs.retries, "record_dead_letter", record)

    def make(broker_class=StubBroker, max_retries=3):
        broker = broker_class()
        retries = DeadLetteringRetries(
            max_retries=max_retries, min_backoff=10, max_backoff=100,
            cache=CACHE, metrics=METRICS,
        )
        broker.add_middleware(retries)

        @dramatiq.actor(broker=broker, queue_name="images", throws=(PermanentFetchError,))
        def job():
            pass

        message = MessageProxy(job.message())
        return broker, retries, message, recorded

    return make


def test_a_permanent_error_is_dead_lettered_at_once(setup):
    broker, retries, message, recorded = setup()
    error = PermanentFetchError("HTTP 404")
    retries.after_process_message(broker, message, exception=error)
    assert message.failed
    assert recorded == [(message.message_id, error)]


def test_a_transient_error_is_retried_until_the_budget_is_spent(setup):
    broker, retries, message, recorded = setup(max_retries=2)
    error = TransientFetchError("HTTP 503")
    for _ in range(2):
        retries.after_process_message(broker, message, exception=error)
        assert not message.failed and recorded == []
    retries.after_process_message(broker, message, exception=error)
    assert message.failed and recorded == [(message.message_id, error)]


def test_a_retry_that_cannot_be_enqueued_is_dead_lettered_not_lost(setup):
    # given: a broker that cannot take the retry (the stock middleware would ack and lose it)
    broker, retries, message, recorded = setup(broker_class=FailingEnqueueBroker)
    # when
    retries.after_process_message(broker, message, exception=TransientFetchError("timeout"))
    # then
    assert message.failed
    assert [message_id for message_id, _ in recorded] == [message.message_id]


def test_success_is_left_alone(setup):
    broker, retries, message, recorded = setup()
    retries.after_process_message(broker, message, result=None)
    assert not message.failed and recorded == []
