"""The real stream process (python -m stream) and the API under gunicorn beside it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.integration.stream.clients import ALLOWED_ORIGIN
from tests.support.environment import settings_env
from tests.support.processes import ApiServer, stopped_after
from tests.support.stream_server import StreamServer

#: Short enough that a test sees many ticks and heartbeats: a test of a missed wake-up
#: waits seconds, not EVENTS_POLL_SECONDS' default.
FAST = {"EVENTS_HEARTBEAT_SECONDS": "0.5", "EVENTS_POLL_SECONDS": "0.5"}


@pytest.fixture
def api(base_settings, clean_database) -> Iterator[ApiServer]:
    server = ApiServer(settings_env(base_settings, EVENTS_CORS_ORIGINS=ALLOWED_ORIGIN))
    yield server
    server.stop()


@pytest.fixture
def start_stream(base_settings, clean_database) -> Iterator[Callable[..., StreamServer]]:
    """Starts stream processes with settings of their own (FAST unless overridden), each
    stopped at the end of the test."""
    def start(**overrides: str) -> StreamServer:
        return StreamServer(settings_env(base_settings, **{**FAST, **overrides}))

    with stopped_after(start, StreamServer.close) as remembered:
        yield remembered


@pytest.fixture
def stream(start_stream) -> StreamServer:
    return start_stream(EVENTS_CORS_ORIGINS=ALLOWED_ORIGIN)
