"""DeadLetteringRetries with a stand-in broker (no RabbitMQ needed for these rules).

The recording itself (PostgreSQL) is replaced by a list: these tests are about when it runs.
"""

from __future__ import annotations

import logging

import dramatiq
import pytest
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker

import jobs.retries
from jobs.actors import declare_actors
from jobs.errors import PermanentError, PermanentFetchError, TransientFetchError
from jobs.metrics import ImageMetrics
from jobs.retries import DeadLetteringRetries
from jobs.source_slots import BUSY_DELAY_MS, SourceBusy


class FailingEnqueueBroker(StubBroker):
    def enqueue(self, message, *, delay=None):
        raise dramatiq.errors.ConnectionClosed(OSError("broker gone"))


class RecordingBroker(StubBroker):
    """Notes each enqueue's message id and delay."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enqueued = []

    def enqueue(self, message, *, delay=None):
        self.enqueued.append((message.message_id, delay))
        return super().enqueue(message, delay=delay)


class CountingMetrics(ImageMetrics):
    def __init__(self):
        super().__init__()
        self.busy = 0

    def source_busy(self):
        self.busy += 1


CACHE = object()
METRICS = CountingMetrics()
BUSY = SourceBusy("http://slow.example:80 is busy")


@pytest.fixture
def setup(monkeypatch):
    recorded = []
    METRICS.busy = 0

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


def test_a_busy_source_puts_the_job_back_without_counting_a_retry(setup):
    # given: no retries at all, so one counted retry would fail the job
    broker, retries, message, recorded = setup(broker_class=RecordingBroker, max_retries=0)
    # when: its source is busy, again and again
    for _ in range(3):
        retries.after_process_message(broker, message, exception=BUSY)
    # then: back on the queue after the short delay each time, neither failed nor recorded
    assert not message.failed and recorded == []
    assert "retries" not in message.options
    assert broker.enqueued == [(message.message_id, BUSY_DELAY_MS)] * 3
    assert METRICS.busy == 3


def test_busy_requeues_leave_the_retry_budget_whole(setup):
    broker, retries, message, recorded = setup(broker_class=RecordingBroker, max_retries=1)
    for _ in range(5):
        retries.after_process_message(broker, message, exception=BUSY)
    # the one retry of the budget is still there for a real failure
    retries.after_process_message(broker, message, exception=TransientFetchError("timeout"))
    assert not message.failed and message.options["retries"] == 1
    retries.after_process_message(broker, message, exception=TransientFetchError("timeout"))
    assert message.failed and [message_id for message_id, _ in recorded] == [message.message_id]


def test_a_busy_job_that_cannot_be_put_back_is_dead_lettered_not_lost(setup):
    broker, retries, message, recorded = setup(broker_class=FailingEnqueueBroker)
    retries.after_process_message(broker, message, exception=BUSY)
    assert message.failed
    assert recorded == [(message.message_id, BUSY)]
    assert METRICS.busy == 0


def test_the_image_actor_does_not_throw_a_busy_job_away():
    # throws is what the stock middleware fails at once; SourceBusy is no failure
    actors = declare_actors(StubBroker(), pipeline=None)
    throws = actors.process_image.options["throws"]
    assert not isinstance(BUSY, throws)
    assert not isinstance(BUSY, PermanentError)


def test_a_worker_runs_a_busy_job_again_and_logs_no_error(monkeypatch, caplog):
    # given: a worker whose only retries middleware is ours, and a job whose source is busy
    # on its first run
    monkeypatch.setattr(jobs.retries, "BUSY_DELAY_MS", 10)
    broker = StubBroker(middleware=[DeadLetteringRetries(
        max_retries=0, min_backoff=10, max_backoff=100, cache=CACHE, metrics=METRICS)])
    runs = []

    @dramatiq.actor(broker=broker, queue_name="images")
    def job():
        runs.append(len(runs))
        if len(runs) == 1:
            raise BUSY

    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        # when
        with caplog.at_level(logging.DEBUG):
            job.send()
            broker.join("images", timeout=10_000)
            worker.join()
    finally:
        worker.stop()
    # then: run twice, and no error (with its traceback) in the log
    assert runs == [0, 1]
    assert [record.getMessage() for record in caplog.records
            if record.levelno >= logging.WARNING] == []
