"""jobs.webhooks.SharedThreadsWarning: a worker that takes both queues says so at boot."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from jobs.webhooks import SharedThreadsWarning


@pytest.mark.parametrize("queues, warned", [
    (None, True),
    ({"images", "webhooks"}, True),
    ({"images"}, False),
    ({"webhooks"}, False),
])
def test_warns_only_when_images_and_deliveries_share_threads(caplog, queues, warned):
    caplog.set_level(logging.WARNING, logger="jobs.webhooks")

    SharedThreadsWarning().after_worker_boot(None, SimpleNamespace(consumer_whitelist=queues))

    events = [getattr(record, "event", None) for record in caplog.records]
    assert ("shared_worker_threads" in events) is warned
