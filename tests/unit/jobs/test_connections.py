"""The worker returns its database connection after every message, whatever happened."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

import jobs.connections
from jobs.connections import DatabaseConnections


@pytest.fixture
def broker_and_releases(monkeypatch):
    releases = []
    monkeypatch.setattr(jobs.connections, "release", lambda: releases.append(True))
    broker = StubBroker(middleware=[DatabaseConnections()])
    broker.emit_after("process_boot")
    yield broker, releases
    broker.close()


@pytest.mark.parametrize("fails", [False, True])
def test_the_connection_is_released_after_each_message(broker_and_releases, fails):
    # given
    broker, releases = broker_and_releases

    @dramatiq.actor(broker=broker)
    def job():
        if fails:
            raise RuntimeError("boom")

    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        # when
        job.send()
        job.send()
        broker.join(job.queue_name, fail_fast=False)
        worker.join()
    finally:
        worker.stop()
    # then
    assert releases == [True, True]
