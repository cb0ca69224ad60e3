"""Graceful shutdown of the API: SIGTERM finishes in-flight requests."""

from __future__ import annotations

import signal
import threading

import psycopg2
import requests

from tests.support.accounts import sign_up_and_create
from tests.support.database import scalar
from tests.support.environment import settings_env
from tests.support.processes import ApiServer, wait_for


def waiting_on_a_lock(database_url: str) -> bool:
    waiting = scalar(database_url, "SELECT count(*) FROM pg_stat_activity WHERE"
                                   " wait_event_type = 'Lock' AND datname = current_database()")
    return waiting > 0


def test_sigterm_to_the_api_finishes_in_flight_requests(base_settings, clean_database, tmp_path):
    server = ApiServer(settings_env(base_settings), log_path=tmp_path / "api.log")
    try:
        product, auth = sign_up_and_create(server.url)
        # given: a PATCH held up by a row lock the test owns
        blocker = psycopg2.connect(base_settings.database_url)
        blocker.cursor().execute("SELECT 1 FROM products WHERE id = %s FOR UPDATE",
                                 (product["id"],))
        result: dict = {}
        patch = threading.Thread(target=lambda: result.update(response=requests.patch(
            f"{server.url}/products/{product['id']}", json={"product_name": "Renamed"},
            headers=auth, timeout=60)))
        patch.start()
        wait_for(lambda: waiting_on_a_lock(base_settings.database_url), timeout=20,
                 message="the PATCH to wait on the lock")
        # when: gunicorn is told to stop, then the lock goes away
        server.process.send_signal(signal.SIGTERM)
        blocker.rollback()
        blocker.close()
        patch.join(timeout=60)
        # then: the request finished, and so did gunicorn
        assert result["response"].status_code == 200
        assert result["response"].json()["product_name"] == "Renamed"
        assert server.process.wait(timeout=30) == 0
    finally:
        server.stop()
