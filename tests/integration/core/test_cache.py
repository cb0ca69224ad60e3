"""core.cache against a real Redis: hits, invalidation, the read/write race, miss storms in
threads and processes, an outage of a Redis server started here, and the switched-off cache."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from core.cache import ProductCache, product_key, redis_client
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer
from tests.support.required import require_service

REDIS_URL = "redis://127.0.0.1:6379/15"
# Timeouts are the outage test's business; here a busy CI machine must not turn a slow reply
# into a degraded read (which would load a second time and fail the single-flight tests).
PATIENT = 1.0
OLD = b'{"id":1,"name":"old"}'
NEW = b'{"id":1,"name":"new"}'


class Database:
    """Stands in for PostgreSQL: rows by id, and how many times each was loaded."""

    def __init__(self, rows: dict[int, bytes] | None = None, delay: float = 0.0) -> None:
        self.rows = dict(rows or {})
        self.delay = delay
        self.loads = 0
        self._lock = threading.Lock()

    def loader(self, product_id: int) -> Callable[[], bytes | None]:
        def load() -> bytes | None:
            with self._lock:
                self.loads += 1
            time.sleep(self.delay)  # a slow query, to widen the window the tests aim at
            return self.rows.get(product_id)

        return load


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    require_service("Redis")
    client = redis_client(REDIS_URL, socket_timeout=PATIENT)
    client.flushdb()
    yield client
    client.flushdb()


def test_hit_after_miss_returns_the_stored_bytes_without_loading(client):
    # given
    db = Database({1: OLD})
    cache = ProductCache(client, ttl_seconds=60)
    # when
    first = cache.read(1, db.loader(1))
    second = cache.read(1, db.loader(1))
    # then
    assert first == (OLD, False)
    assert second == (OLD, True)
    assert second[0] == first[0] and type(second[0]) is bytes
    assert db.loads == 1
    assert client.get("pc:v1:product:{1}") == OLD
    assert 0 < client.ttl(product_key(1)) <= 60
    assert not client.exists("pc:v1:product:{1}:lock")


def test_missing_product_is_not_cached(client):
    db = Database()
    cache = ProductCache(client)

    assert cache.read(9, db.loader(9)) == (None, False)
    assert cache.read(9, db.loader(9)) == (None, False)
    assert db.loads == 2
    assert not client.exists(product_key(9))


def test_invalidate_makes_the_next_read_reload(client):
    # given a cached product
    db = Database({1: OLD})
    cache = ProductCache(client, ttl_seconds=60)
    cache.read(1, db.loader(1))
    # when it is written and invalidated
    db.rows[1] = NEW
    cache.invalidate(1)
    # then the next read misses and loads the new row, and the one after hits it
    assert cache.read(1, db.loader(1)) == (NEW, False)
    assert cache.read(1, db.loader(1)) == (NEW, True)
    assert db.loads == 2
    # and the generation outlives the body, so in-flight reads keep seeing it
    assert client.get("pc:v1:product:{1}:gen") == b"1"
    assert client.ttl("pc:v1:product:{1}:gen") > 3000


def _racing_cache(client: redis.Redis, db: Database, *, check_generation: bool) -> ProductCache:
    """A cache whose first store is preceded by a write committed and invalidated, like a PATCH
    landing between a slow reader's SELECT and its cache store."""
    cache: ProductCache
    raced = threading.Event()

    def concurrent_patch(product_id: int) -> None:
        if not raced.is_set():
            raced.set()
            db.rows[product_id] = NEW  # the commit
            cache.invalidate(product_id)  # after the commit, as the API does

    cache = ProductCache(client, check_generation=check_generation, before_store=concurrent_patch)
    return cache


def test_a_write_during_a_slow_read_is_not_hidden_by_its_store(client):
    # given a reader that loads OLD, then a write commits and invalidates before it stores
    db = Database({1: OLD})
    cache = _racing_cache(client, db, check_generation=True)
    assert cache.read(1, db.loader(1)) == (OLD, False)  # it was current when loaded
    # when the product is read again
    body, hit = cache.read(1, db.loader(1))
    # then the stale store was refused and the new row is served
    assert (body, hit) == (NEW, False)
    assert cache.read(1, db.loader(1)) == (NEW, True)


def test_without_the_generation_check_the_same_race_serves_the_old_row(client):
    # the same scenario must fail without the fix, or the test above proves nothing
    db = Database({1: OLD})
    cache = _racing_cache(client, db, check_generation=False)
    assert cache.read(1, db.loader(1)) == (OLD, False)

    assert cache.read(1, db.loader(1)) == (OLD, True)
    assert db.rows[1] == NEW


def _read_together(cache: ProductCache, db: Database, product_id: int, *,
                   readers: int) -> list[tuple[bytes | None, bool]]:
    """What ``readers`` threads, released at once, read of the product."""
    barrier = threading.Barrier(readers)
    results: list[tuple[bytes | None, bool]] = []

    def reader() -> None:
        barrier.wait()
        results.append(cache.read(product_id, db.loader(product_id)))

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_fifty_threads_on_a_cold_key_load_once(client):
    # given
    db = Database({1: OLD}, delay=0.05)
    # A generous wait: on a loaded 2-core CI machine fifty polling threads can starve the
    # loader for longer than the production default, and this test is about single flight.
    cache = ProductCache(client, lock_wait_ms=10_000)
    # when
    results = _read_together(cache, db, 1, readers=50)
    # then
    assert db.loads == 1
    assert len(results) == 50
    assert {body for body, _hit in results} == {OLD}
    assert sorted(hit for _body, hit in results) == [False] + [True] * 49


def _process_reader(url: str, barrier, loads_key: str, results) -> None:
    client = redis_client(url, socket_timeout=PATIENT)
    cache = ProductCache(client, lock_wait_ms=10_000)

    def load() -> bytes:
        client.incr(loads_key)  # the processes share no memory, so count in Redis
        time.sleep(0.05)
        return OLD

    barrier.wait()
    results.put(cache.read(1, load))


def test_processes_on_a_cold_key_load_once(client):
    # given eight processes, as gunicorn workers and image workers would be
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(8), context.Queue()
    processes = [
        context.Process(target=_process_reader, args=(REDIS_URL, barrier, "test:loads", results))
        for _ in range(8)
    ]
    # when
    for process in processes:
        process.start()
    answers = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    # then
    assert client.get("test:loads") == b"1"
    assert sorted(answers) == [(OLD, False)] + [(OLD, True)] * 7


def test_readers_of_a_missing_product_do_not_wait_out_the_lock(client):
    # the loader finds nothing and stores nothing; the others must notice its lock go
    db = Database(delay=0.05)
    cache = ProductCache(client, lock_wait_ms=10_000)
    started = time.monotonic()
    results = _read_together(cache, db, 5, readers=10)

    assert results == [(None, False)] * 10
    assert time.monotonic() - started < 5  # far below lock_wait_ms: nobody waited it out


def test_a_reader_that_missed_just_before_another_stored_does_not_load_again(client, monkeypatch):
    # given a reader whose GET misses, and another reader that loads and stores the body (and
    # releases its lock) right after that GET, before the first one takes the fill lock
    cache = ProductCache(client)
    real_get = cache._get  # the cache's GET on its own connection, not client.get

    def get_then_another_reader_stores(key: str) -> bytes | None:
        body = real_get(key)
        assert ProductCache(client).read(1, Database({1: OLD}).loader(1)) == (OLD, False)
        return body

    monkeypatch.setattr(cache, "_get", get_then_another_reader_stores)
    db = Database({1: NEW})
    # when it goes on to take the fill lock
    result = cache.read(1, db.loader(1))
    # then the lock step sees the stored body and serves it
    assert result == (OLD, True)
    assert db.loads == 0
    assert not client.exists("pc:v1:product:{1}:lock")


def test_a_failing_load_releases_the_lock(client):
    cache = ProductCache(client, lock_wait_ms=10_000)

    def broken() -> bytes:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cache.read(1, broken)
    assert not client.exists("pc:v1:product:{1}:lock")
    assert cache.read(1, Database({1: OLD}).loader(1)) == (OLD, False)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own; the test may stop and restart it."""
    server = RedisServer()
    yield server
    server.stop()


def test_outage_degrades_to_the_database_and_recovers(own_redis, caplog):
    # given a cache with the production client settings, filled while Redis is up
    cache = ProductCache(redis_client(own_redis.url), warn_interval_seconds=60)
    db = Database({1: OLD})
    assert cache.read(1, db.loader(1)) == (OLD, False)
    assert cache.read(1, db.loader(1)) == (OLD, True)
    caplog.set_level(logging.INFO, logger="core.cache")

    # when Redis goes away
    own_redis.stop()
    # then every read is served from the database, without stalling
    for _ in range(20):
        started = time.monotonic()
        assert cache.read(1, db.loader(1)) == (OLD, False)
        assert time.monotonic() - started < 1.0
    assert db.loads == 21
    # and the failure is logged once, not per read
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].operation == "get"
    # and a write's invalidation fails without raising, but is logged
    cache.invalidate(1)
    assert caplog.records[-1].levelno == logging.WARNING
    assert caplog.records[-1].operation == "invalidate"

    # when Redis is back (empty: it keeps nothing on disk)
    own_redis.start()
    # then the same cache object serves hits again once it has stored the row
    deadline = time.monotonic() + 10
    while cache.read(1, db.loader(1)) != (OLD, True):
        assert time.monotonic() < deadline, "the cache did not recover"
        time.sleep(0.01)
    assert any(r.getMessage() == "redis cache reachable again" for r in caplog.records)


@pytest.mark.parametrize("switched_off", ["enabled=False", "client=None"])
def test_switched_off_cache_never_touches_redis(switched_off, caplog):
    # given a client for a port nothing listens on: using it would fail, and log a warning
    unused = redis.Redis(port=free_port(), socket_connect_timeout=5)
    if switched_off == "enabled=False":
        cache = ProductCache(unused, enabled=False)
    else:
        cache = ProductCache(None)
    db = Database({1: OLD})
    caplog.set_level(logging.DEBUG, logger="core.cache")
    # when
    started = time.monotonic()
    reads = [cache.read(1, db.loader(1)) for _ in range(50)]
    cache.invalidate(1)
    # then
    assert reads == [(OLD, False)] * 50
    assert db.loads == 50
    assert time.monotonic() - started < 0.5
    assert caplog.records == []
