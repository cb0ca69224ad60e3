"""core.cache without Redis: the switched-off cache, degrading when every Redis call fails,
the rate-limited warning and the key scheme."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import redis

from core.cache import ProductCache, _RateLimitedWarning, product_key, redis_client

BODY = b'{"id":1}'


class DownRedis:
    """A client whose every command fails as a Redis that went away does."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error or redis.ConnectionError("Connection refused")
        self.calls = 0

    def _fail(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        raise self.error

    get = set = send_command = _fail

    @property
    def connection_pool(self) -> DownRedis:
        return self  # the cache makes a connection per thread for its GETs

    connection_kwargs: dict = {}  # noqa: RUF012 - read only, as the pool's are

    def connection_class(self, **kwargs: object) -> DownRedis:
        return self

    def disconnect(self) -> None:
        pass

    def register_script(self, script: str) -> Callable[..., None]:
        return self._fail  # registering sends nothing; running does

    def pipeline(self, transaction: bool = True) -> DownRedis:
        return self

    def __getattr__(self, command: str) -> Callable[..., DownRedis]:
        return lambda *args, **kwargs: self  # queued pipeline commands; execute() fails

    execute = _fail


class Untouchable:
    def __getattr__(self, name: str) -> None:
        raise AssertionError(f"the cache used the client: {name}")


class Loader:
    def __init__(self, body: bytes | None = BODY) -> None:
        self.body, self.calls = body, 0

    def __call__(self) -> bytes | None:
        self.calls += 1
        return self.body


def test_product_key_is_versioned_and_hash_tagged():
    assert product_key(42) == "pc:v1:product:{42}"


def test_redis_client_is_one_per_url_with_short_timeouts_and_no_retries():
    client = redis_client("redis://127.0.0.1:1/0")  # creating it connects nowhere

    assert redis_client("redis://127.0.0.1:1/0") is client
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 0.05
    assert kwargs["retry"].get_retries() == 0
    assert kwargs["health_check_interval"] > 0


@pytest.mark.parametrize("cache", [ProductCache(Untouchable(), enabled=False), ProductCache(None)],
                         ids=["enabled=False", "client=None"])
def test_switched_off_cache_loads_every_time(cache):
    load = Loader()

    assert cache.read(1, load) == (BODY, False)
    assert cache.read(1, load) == (BODY, False)
    cache.invalidate(1)
    assert load.calls == 2


@pytest.mark.parametrize("error", [redis.ConnectionError("refused"), redis.TimeoutError("slow"),
                                   redis.ResponseError("OOM"), ConnectionResetError()])
def test_a_failing_redis_is_a_miss_that_loads_once(error):
    client = DownRedis(error)
    cache = ProductCache(client)
    load = Loader()

    assert cache.read(1, load) == (BODY, False)
    assert load.calls == 1
    assert client.calls == 1  # gave up after the first failure: no retries, no store attempt


def test_a_redis_failure_after_the_miss_still_loads_once():
    # given a GET that answers (a miss) on the cache's own connection, then a Redis that has
    # gone away by the time the fill lock is taken
    client = DownRedis()
    sent: list[tuple[object, ...]] = []
    client.send_command = lambda *args: sent.append(args)
    client.read_response = lambda: None
    results: list[str] = []
    load = Loader()
    # when
    body = ProductCache(client, on_result=results.append).read(1, load)
    # then the GET reached the connection, the lock attempt failed, and the row was loaded once
    assert sent == [("GET", product_key(1))]
    assert client.calls == 1  # the failed lock attempt; no store, no release
    assert body == (BODY, False)
    assert load.calls == 1
    assert results == ["error"]


def test_a_load_error_is_not_mistaken_for_a_cache_failure():
    def broken() -> bytes:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        ProductCache(DownRedis()).read(1, broken)


def test_failing_reads_warn_once_per_interval(caplog):
    caplog.set_level(logging.WARNING, logger="core.cache")
    cache = ProductCache(DownRedis(), warn_interval_seconds=60)

    for _ in range(20):
        cache.read(1, Loader())

    assert len(caplog.records) == 1
    assert caplog.records[0].operation == "get"
    assert caplog.records[0].product_id == 1


def test_failed_invalidation_does_not_raise_and_is_always_logged(caplog):
    caplog.set_level(logging.WARNING, logger="core.cache")
    cache = ProductCache(DownRedis(), warn_interval_seconds=60)

    cache.invalidate(7)
    cache.invalidate(8)

    assert [r.product_id for r in caplog.records] == [7, 8]
    assert all(r.operation == "invalidate" for r in caplog.records)


def test_rate_limited_warning_counts_what_it_left_out(caplog):
    caplog.set_level(logging.INFO, logger="core.cache")
    now = [100.0]
    warn = _RateLimitedWarning(30.0, clock=lambda: now[0])
    error = redis.ConnectionError("refused")

    warn("get", 1, error)
    for _ in range(5):
        now[0] += 5
        warn("get", 2, error)
    now[0] += 6  # 31 s after the first warning
    warn("store", 3, error)
    warn.recovered()
    warn.recovered()

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [(r.product_id, r.suppressed) for r in warnings] == [(1, 0), (3, 5)]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "redis cache reachable again"]
