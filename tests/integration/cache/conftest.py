"""API instances under real gunicorn, sharing the test database and Redis."""

from __future__ import annotations

import pytest

from tests.support.environment import settings_env
from tests.support.processes import ApiServer


@pytest.fixture
def servers(base_settings, clean_database, tmp_path):
    started: list[ApiServer] = []

    def start(**options) -> ApiServer:
        env = settings_env(base_settings, **options.pop("env", {}))
        server = ApiServer(env, log_path=tmp_path / f"api-{len(started)}.log", **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


