"""PostgreSQL unreachable: 503 within the connect timeout, and full service when it returns,
without restarting the API. The database is cut off by a TCP proxy in front of it."""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from models.db import CONNECT_TIMEOUT_SECONDS
from tests.support.environment import settings_env
from tests.support.processes import ApiServer, wait_for
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def proxied_api(base_settings, clean_database, tmp_path):
    server = urlsplit(base_settings.database_url)
    proxy = TcpProxy((server.hostname, server.port or 5432))
    url = urlunsplit(server._replace(netloc=server.netloc.replace(
        f"{server.hostname}:{server.port}" if server.port else server.hostname,
        f"127.0.0.1:{proxy.port}")))
    server = ApiServer(settings_env(base_settings.replace(database_url=url, cache_enabled=False)),
                       log_path=tmp_path / "api.log")
    yield server, proxy
    server.stop()
    proxy.close()


def timed_get(url: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.get(url, timeout=30)
    return response, time.monotonic() - started


def test_database_down_gives_503_then_recovers_without_restart(proxied_api):
    server, proxy = proxied_api
    # given: a user and a product, served normally
    user = requests.post(server.url + "/users", json={"name": "A", "email": "a@example.com"},
                         timeout=10).json()
    product = requests.post(
        server.url + "/products", json={"product_name": "Lamp", "product_price": 1},
        headers={"Authorization": f"Bearer {user['api_key']}"}, timeout=10,
    ).json()
    path = f"{server.url}/products/{product['id']}"
    assert requests.get(path, timeout=10).status_code == 200

    # when: connections are refused
    proxy.cut()
    response, elapsed = timed_get(path)
    # then
    assert response.status_code == 503
    assert set(response.json()) == {"title", "description"}
    assert elapsed < CONNECT_TIMEOUT_SECONDS + 1
    assert requests.get(server.url + "/readyz", timeout=30).status_code == 503
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200

    # when: the host stops answering at all
    proxy.blackhole()
    response, elapsed = timed_get(path)
    # then: the connect timeout bounds the wait
    assert response.status_code == 503
    assert elapsed < CONNECT_TIMEOUT_SECONDS + 2

    # when: the database is back
    proxy.restore()
    # then: full service, same process
    wait_for(lambda: requests.get(path, timeout=10).status_code == 200, timeout=20,
             message="the API to serve again")
    assert requests.get(path, timeout=10).json() == product
    assert requests.get(server.url + "/readyz", timeout=10).status_code == 200
    assert server.process.poll() is None
