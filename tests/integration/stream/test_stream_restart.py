"""A stream resumed with Last-Event-ID after its process restarted: the events written while
it was down, and after, each arrive once, in order."""

from __future__ import annotations

import json
import signal

import pytest
import requests

from tests.integration.stream.clients import create_product, rename, sign_up
from tests.support.stream_server import messages, open_stream


def names(got: list[dict]) -> list[str]:
    return [json.loads(each["data"])["data"]["product"]["product_name"] for each in got]


def test_last_event_id_resumes_across_a_restart_without_gap_or_repeat(api, stream):
    account = sign_up(api.url)
    product = create_product(api.url, account, "v0")
    for number in (1, 2):
        rename(api.url, account, product["id"], f"v{number}")
    response = open_stream(stream, account.id, account.auth)
    assert response.status_code == 200
    before = messages(response, 3)
    assert names(before) == ["v0", "v1", "v2"]

    # A deploy: SIGTERM with the stream open, which the process cuts after its grace.
    assert stream.stop() in (0, -signal.SIGTERM), stream.log()
    response.close()
    for number in (3, 4, 5):
        rename(api.url, account, product["id"], f"v{number}")
    stream.start()

    resumed = open_stream(stream, account.id,
                          {**account.auth, "Last-Event-ID": before[-1]["id"]})
    assert resumed.status_code == 200
    during = messages(resumed, 3)
    # Written after the restart: the stream's live path, not only its catch-up read.
    rename(api.url, account, product["id"], "v6")
    after = messages(resumed, 1)
    got = during + after
    assert names(got) == ["v3", "v4", "v5", "v6"]
    ids = [each["id"] for each in before + got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # Nothing repeated behind the last one: the next message is the next event written.
    rename(api.url, account, product["id"], "v7")
    assert names(messages(resumed, 1)) == ["v7"]


def test_sigterm_ends_the_process_with_streams_open(api, stream):
    account = sign_up(api.url)
    create_product(api.url, account)
    response = open_stream(stream, account.id, account.auth)
    messages(response, 1)
    # stop() kills the process (-9) when SIGTERM has not ended it within STOP_TIMEOUT.
    assert stream.stop() in (0, -signal.SIGTERM), stream.log()
    # And the client sees its stream end (an EventSource then reconnects), not hang.
    with pytest.raises((AssertionError, requests.RequestException)) as ended:
        messages(response, 1, timeout=5)
    assert "within" not in str(ended.value)
