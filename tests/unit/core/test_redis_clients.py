"""core.redis_clients and the cache's cluster paths without a Redis: which client a URL gets,
the cluster client's timeouts and retries, its lazy start, the keys' slots, and invalidate()'s
WAIT for a replica (with a fake cluster)."""

from __future__ import annotations

import logging
import time

import pytest
import redis
from redis.cluster import key_slot

from core import redis_clients
from core.cache import ProductCache, cache_from_settings, product_key
from core.rate_limit import RateLimiter
from core.redis_clients import FAILURES, LazyCluster, cluster_options, redis_client
from core.settings import Settings


@pytest.mark.parametrize("product_id", [1, 2, 3, 42, 4711, 2**31, 9223372036854775807])
def test_a_products_keys_share_one_slot(product_id):
    body = product_key(product_id)
    slots = {key_slot(key.encode()) for key in (body, body + ":gen", body + ":lock")}
    assert len(slots) == 1
    # the hash tag is the id alone, so products spread over the slots
    assert slots == {key_slot(str(product_id).encode())}


def test_products_spread_over_the_slots():
    assert len({key_slot(product_key(product_id).encode()) for product_id in range(100)}) > 90


@pytest.mark.parametrize("url, cluster", [
    ("redis+cluster://127.0.0.1:1,127.0.0.1:2", False),
    ("redis://127.0.0.1:1/0", True),
])
def test_a_cluster_url_or_flag_gets_a_lazy_cluster_client(url, cluster):
    client = redis_client(url, cluster=cluster)  # connects nowhere yet

    assert isinstance(client, LazyCluster)
    assert redis_client(url, cluster=cluster) is client
    assert redis_client(url, cluster=cluster, socket_timeout=0.25) is not client


def test_a_plain_url_gets_todays_client():
    assert type(redis_client("redis://127.0.0.1:1/0")) is redis.Redis


def test_cluster_options_list_the_startup_nodes_with_short_timeouts_and_no_retries():
    options = cluster_options("redis+cluster://user:p%40ss@10.0.0.1:7000, 10.0.0.2:7001,h3",
                              0.05)

    assert [(node.host, node.port) for node in options["startup_nodes"]] == [
        ("10.0.0.1", 7000), ("10.0.0.2", 7001), ("h3", 6379)]
    assert (options["username"], options["password"]) == ("user", "p@ss")
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 0.05
    assert options["retry"].get_retries() == 0
    assert options["require_full_coverage"] is False
    assert cluster_options("rediss://h:1/0", 1)["ssl"] is True


def test_the_cluster_options_are_ones_redis_py_accepts():
    # RedisCluster connects as it is built; with no node listening that fails, after having
    # accepted every option (a wrong one would be a TypeError).
    with pytest.raises(FAILURES):
        redis.RedisCluster(**cluster_options("redis+cluster://127.0.0.1:1", 0.05))


def test_a_cluster_that_is_down_at_start_costs_one_attempt_a_second(monkeypatch):
    attempts = []

    def refuse(**options):
        attempts.append(options)
        raise redis.ConnectionError("refused")

    monkeypatch.setattr(redis_clients, "RedisCluster", refuse)
    client = LazyCluster(cluster_options("redis+cluster://127.0.0.1:1", 0.05), retry_seconds=60)
    script = client.register_script("return 1")  # sends nothing, builds nothing
    assert attempts == [] and len(script.sha) == 40
    for _ in range(3):
        with pytest.raises(FAILURES):
            client.get("k")
    assert len(attempts) == 1


def test_a_cluster_client_is_built_once_it_answers(monkeypatch):
    built = []
    monkeypatch.setattr(redis_clients, "RedisCluster", lambda **options: built.append(1) or
                        FakeCluster([]))
    client = LazyCluster({}, retry_seconds=0)
    assert client.get_node_from_key("k") == "node-a"
    assert client.cluster is client.cluster and built == [1]


def test_the_rate_limiter_counts_a_cluster_failure_as_redis_down(monkeypatch):
    monkeypatch.setattr(redis_clients, "RedisCluster", lambda **options: (_ for _ in ()).throw(
        redis.exceptions.RedisClusterException("Redis Cluster cannot be connected")))
    limiter = RateLimiter(LazyCluster({}), scope="writes", per_minute=1)
    assert limiter.take("key-1").allowed


def test_cache_from_settings_uses_the_cluster_flag():
    settings = Settings(redis_url="redis://127.0.0.1:1/0", redis_cluster=True)
    cache = cache_from_settings(settings)
    assert cache._get == cache._get_on_cluster  # noqa: SLF001
    single = cache_from_settings(Settings(redis_url="redis://127.0.0.1:1/0"))
    assert single._get.__func__ is ProductCache._get  # noqa: SLF001


class FakeConnection:
    """One node connection: records what is sent, answers with ``replies`` (raising errors)."""

    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster
        self.disconnected = False

    def pack_commands(self, commands: list[tuple]) -> list[tuple]:
        return commands

    def send_packed_command(self, commands: list[tuple]) -> None:
        for command, *args in commands:  # the script's text left out
            self.cluster.sent.append((command, *(args[1:] if command == "EVAL" else args)))

    def read_response(self) -> object:
        reply = self.cluster.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def disconnect(self) -> None:
        self.disconnected = True


class FakeCluster:
    """The node serving every key: ``node``; its replies to invalidate()'s commands."""

    def __init__(self, replies: list[object]) -> None:
        self.replies = list(replies)
        self.sent: list[tuple] = []
        self.redirected: list[tuple] = []
        self.connection = FakeConnection(self)
        self.released: list[FakeConnection] = []

    def get_node_from_key(self, key: str) -> str:
        return "node-a"

    def get_redis_connection(self, node: str) -> FakeCluster:
        assert node == "node-a"
        return self

    @property
    def connection_pool(self) -> FakeCluster:
        return self

    def get_connection(self) -> FakeConnection:
        return self.connection

    def release(self, connection: FakeConnection) -> None:
        self.released.append(connection)

    def execute_command(self, *args: object) -> int:
        self.redirected.append(args[:1] + args[2:])
        return 1


class FakeLazyCluster(LazyCluster):
    def __init__(self, cluster: FakeCluster) -> None:
        super().__init__({})
        self._cluster = cluster


def cluster_cache(replies, **options) -> tuple[ProductCache, FakeCluster]:
    cluster = FakeCluster(replies)
    return ProductCache(FakeLazyCluster(cluster), ttl_seconds=300, **options), cluster


def unconfirmed(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if "not confirmed" in record.getMessage()]


def test_a_cluster_invalidation_waits_for_one_replica_on_the_same_connection(caplog):
    cache, cluster = cluster_cache([1, 1], replica_wait_ms=20)

    cache.invalidate(7)

    body = product_key(7)
    assert cluster.sent == [("EVAL", 2, body + ":gen", body, 3600), ("WAIT", 1, 20)]
    assert cluster.released == [cluster.connection] and not cluster.connection.disconnected
    assert unconfirmed(caplog) == []


@pytest.mark.parametrize("wait", [0, redis.ResponseError("WAIT cannot be used with replica"),
                                  redis.TimeoutError("slow")])
def test_an_unconfirmed_invalidation_is_logged_once_per_interval(caplog, wait):
    cache, cluster = cluster_cache([1, wait, 1, wait], warn_interval_seconds=60)

    cache.invalidate(7)
    cache.invalidate(8)

    [record] = unconfirmed(caplog)
    assert record.levelno == logging.WARNING and record.product_id == 7
    assert "300 s" in record.getMessage()
    assert cluster.connection.disconnected == (not isinstance(wait, int))


def test_a_moved_invalidation_is_redirected_and_counts_as_unconfirmed(caplog):
    cache, cluster = cluster_cache([redis.exceptions.MovedError("3999 127.0.0.1:7001")])

    cache.invalidate(7)

    body = product_key(7)
    assert cluster.redirected == [("EVAL", 2, body + ":gen", body, 3600)]
    assert len(unconfirmed(caplog)) == 1


def test_a_failed_cluster_invalidation_is_logged_as_failed(caplog):
    cache, cluster = cluster_cache([redis.ConnectionError("refused")])

    cache.invalidate(7)

    assert [record.getMessage().split(",")[0] for record in caplog.records] == [
        "cache invalidation failed"]
    assert cluster.connection.disconnected and cluster.released == [cluster.connection]


def test_a_single_server_invalidation_sends_no_wait():
    sent = []

    class Pipeline:
        def __getattr__(self, command):
            return lambda *args: sent.append(command) or self

    class Single:
        def register_script(self, script):
            return None

        def pipeline(self, transaction=True):
            assert transaction
            return Pipeline()

    ProductCache(Single()).invalidate(7)

    assert sent == ["incr", "expire", "delete", "execute"]


def test_the_lazy_cluster_retries_after_its_pause(monkeypatch):
    calls = []

    def refuse(**options):
        calls.append(time.monotonic())
        raise redis.ConnectionError("refused")

    monkeypatch.setattr(redis_clients, "RedisCluster", refuse)
    client = LazyCluster({}, retry_seconds=0)
    for _ in range(2):
        with pytest.raises(FAILURES):
            client.ping()
    assert len(calls) == 2
