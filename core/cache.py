"""The Redis read-through cache of ``GET /products/{id}``: key scheme, TTL and invalidation.

The API and the image worker both use this module, so they agree on keys. Per product, under
a version prefix that is bumped whenever the stored format changes (old entries are then never
read), there are three keys: the JSON body ``pc:v1:product:{42}`` (``{42}`` is a Redis Cluster
hash tag, so the scripts' keys share one slot), its generation ``...:gen`` and a fill lock
``...:lock``.

* Never stale: a writer commits, then :meth:`ProductCache.invalidate` bumps the generation and
  deletes the body. A reader reads the generation before loading and stores only if it is
  unchanged (one Lua script), so a row loaded before a write is never stored after it.
* One load per miss storm: the reader that wins a short lock loads; the others, in any thread
  or process, poll for its result.
* Redis is optional: any Redis failure makes that one call behave as if the cache were off.
* On a Redis Cluster (core/redis_clients.py) a failover makes reads fall back to PostgreSQL
  until a replica is promoted. invalidate() then waits for a replica (WAIT 1): a failover can
  lose what the old master acknowledged, and an unconfirmed invalidation is logged, its product
  possibly stale for up to ``ttl_seconds`` after a failover.

Needs Redis 6.2 or later (GETEX).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

import redis
from redis.exceptions import AskError, MovedError

from core.logs import Throttle
from core.redis_clients import FAILURES, LazyCluster, redis_client
from core.settings import Settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "pc:v1:"
_FAILURES = FAILURES
_POLL_SECONDS = 0.005

# The body is checked here too, not only by the caller's GET: between that GET and this lock
# attempt another reader may have stored the body and released the lock, and would otherwise
# be followed by a second load. Reading the generation with GETEX keeps it alive while a load
# is in flight (see ProductCache.__init__).
_ACQUIRE = """
local body = redis.call('GET', KEYS[1])
if body then return {'hit', body} end
local locked = redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2])
local generation = redis.call('GETEX', KEYS[2], 'EX', ARGV[3]) or '0'
if locked then return {'lock', generation} end
return {'wait', generation}
"""
# Only store if no invalidate() ran since the reader read the generation, before its load().
_STORE = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
# Compare-and-delete: once lock_ttl_ms has passed the lock may belong to another reader.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# invalidate() on a cluster: one script instead of MULTI/EXEC, so that it and the WAIT behind it
# go down one connection (a cluster pipeline sends each node's commands on one connection, and
# WAIT counts the replicas that have this connection's writes).
_INVALIDATE = """
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return redis.call('DEL', KEYS[2])
"""


def cache_from_settings(settings: Settings, **options: object) -> ProductCache:
    """The product cache the settings describe (REDIS_URL, CACHE_TTL_SECONDS, CACHE_ENABLED);
    ``options`` are ProductCache's keyword options (metrics hooks, test hooks)."""
    client = redis_client(settings.redis_url, cluster=settings.uses_redis_cluster)
    return ProductCache(client, ttl_seconds=settings.cache_ttl_seconds,
                        enabled=settings.cache_enabled, **options)


def product_key(product_id: int) -> str:
    """The key of a product's cached JSON body."""
    return f"{KEY_PREFIX}product:{{{product_id}}}"


class _RateLimitedWarning:
    """At most one warning per interval; the ones left out are counted in the next."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._throttle = Throttle(interval, clock)
        self.failing = False

    def __call__(self, operation: str, product_id: int, error: BaseException) -> None:
        self.failing = True
        suppressed = self._throttle.due()
        if suppressed is None:
            return
        logger.warning("redis cache unavailable, reading the database: %r", error, extra={
            "operation": operation, "product_id": product_id, "suppressed": suppressed})

    def recovered(self) -> None:
        if self.failing:  # checked without the lock: the hit path pays one attribute read
            self.failing = False
            logger.info("redis cache reachable again", extra={"operation": "get"})


class ProductCache:
    """Each product's JSON bytes, cached for ``ttl_seconds``. Safe to share between threads.

    Parameters:
      client: from :func:`redis_client`; None turns the cache off.
      ttl_seconds: lifetime of a body; also bounds how long a failed invalidation can serve
        a stale one.
      enabled: False turns the cache off: reads load, nothing touches Redis.
      check_generation: False stores unconditionally, bringing back the read/write race
        (only tests use it, to show that their race test can fail).
      before_store: test hook, called with the product id between load() and the store.
      lock_ttl_ms: how long a fill lock outlives a loader that died.
      lock_wait_ms: how long the other readers wait for the loader before loading themselves
        (as long as the lock lives: a slow database is when a storm would hurt most).
      warn_interval_seconds: at most one "Redis unavailable" warning per interval, and one
        "invalidation not confirmed by a replica" warning.
      on_result: called with "hit", "miss" or "error" for every read (metrics).
      replica_wait_ms: on a cluster, how long invalidate() waits for a replica to confirm
        (WAIT 1); below the client's socket timeout, so a WAIT that times out is an answer.
    """

    def __init__(self, client: redis.Redis | LazyCluster | None, *, ttl_seconds: int = 300,
                 enabled: bool = True, check_generation: bool = True,
                 before_store: Callable[[int], None] | None = None,
                 lock_ttl_ms: int = 2000, lock_wait_ms: int = 2000,
                 warn_interval_seconds: float = 30.0,
                 on_result: Callable[[str], None] | None = None,
                 replica_wait_ms: int = 20) -> None:
        self._client = client if enabled else None
        self._ttl = ttl_seconds
        # Generations expire, so keys of products written once do not pile up forever. Safe
        # enough: a stale store slips through only if the generation reads the same after an
        # INCR, i.e. its key expired and the count restarted to that number within one load().
        # Each INCR and the GETEX before each load reset this TTL, so that load() would have to
        # run for longer than it: an hour at least, far past any database statement timeout.
        self._generation_ttl = max(ttl_seconds * 4, 3600)
        self._check_generation = check_generation
        self._before_store = before_store
        self._lock_ttl_ms, self._lock_wait = lock_ttl_ms, lock_wait_ms / 1000
        self._warn = _RateLimitedWarning(warn_interval_seconds)
        self._on_result = on_result or (lambda result: None)
        self._thread = threading.local()
        if self._client is not None:  # register_script only hashes; it sends nothing
            self._acquire = self._client.register_script(_ACQUIRE)
            self._store_if_current = self._client.register_script(_STORE)
            self._release = self._client.register_script(_RELEASE)
        if isinstance(self._client, LazyCluster):
            # Chosen once here, so the single-server hit path pays nothing for clusters.
            self._get = self._get_on_cluster
            self._invalidate = self._invalidate_on_cluster
            self._replica_wait_ms = replica_wait_ms
            self._unconfirmed = Throttle(warn_interval_seconds)

    def read(self, product_id: int, load: Callable[[], bytes | None]) -> tuple[bytes | None, bool]:
        """Return (body, hit): the stored bytes as they are on a hit, without calling ``load``
        (so no database connection is taken); else ``load()``'s bytes (None: no such product,
        which is not cached), stored for the next reader."""
        if self._client is None:
            return load(), False
        body, result = self._read(product_id, load)
        self._on_result(result)
        return body, result == "hit"

    def _read(self, product_id: int, load: Callable[[], bytes | None]) -> tuple[bytes | None, str]:
        try:
            body = self._get(product_key(product_id))  # a hit costs this one round trip
        except _FAILURES as error:
            self._warn("get", product_id, error)
            return load(), "error"
        self._warn.recovered()
        if body is not None:
            return body, "hit"
        return self._fill(product_id, load)

    def _get(self, key: str) -> bytes | None:
        """GET on a connection this thread keeps. The profile of a cached read showed
        redis-py's per-command machinery (pool checkout and release, instrumentation) costing
        as much CPU as the round trip itself; a connection of one's own skips it."""
        connection = getattr(self._thread, "connection", None)
        if connection is None:
            # Made outside the pool, not checked out of it: the pool counts what it hands out
            # against max_connections (100 in redis-py 8) and never sees a thread's connection
            # again, so threads that come and go would use up the pool for everyone.
            pool = self._client.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            self._thread.connection = connection
        try:
            connection.send_command("GET", key)
            return connection.read_response()
        except BaseException:
            # A half-read reply would poison the next command; the next send reconnects.
            connection.disconnect()
            raise

    def _get_on_cluster(self, key: str) -> bytes | None:
        # RedisCluster routes by slot and reloads the slot map when a node fails.
        return self._client.cluster.get(key)

    def invalidate(self, product_id: int) -> None:
        """Called AFTER the database commit of every write (API PATCH/DELETE, worker image
        write)."""
        if self._client is None:
            return
        try:
            self._invalidate(product_id)
        except _FAILURES as error:
            # If Redis still holds the body (a timeout, not an outage: it keeps nothing on
            # disk) readers may get the old product for up to ttl_seconds. Writes are rare, so
            # each such product is logged, not rate-limited.
            logger.warning("cache invalidation failed, product %r may be stale for %r s: %r",
                           product_id, self._ttl, error,
                           extra={"operation": "invalidate", "product_id": product_id})

    def _invalidate(self, product_id: int) -> None:
        # One server: no WAIT. Without a failover nothing acknowledged is lost, and WAIT would
        # cost every write a round trip (or, with no replica, the whole timeout).
        body, generation, _lock = self._keys(product_id)
        (self._client.pipeline(transaction=True).incr(generation)
         .expire(generation, self._generation_ttl).delete(body).execute())

    def _invalidate_on_cluster(self, product_id: int) -> None:
        """Invalidate, then wait for a replica of the keys' master to have it: replication is
        asynchronous, and a failover loses what the old master acknowledged but did not pass
        on. Unconfirmed, the old body may be served until its TTL runs out; WAIT narrows that
        to the writes that met a replica that was down or slow."""
        body, generation, _lock = self._keys(product_id)
        command = ("EVAL", _INVALIDATE, 2, generation, body, self._generation_ttl)
        cluster = self._client.cluster
        try:
            replicas = _run_then_wait(cluster.get_redis_connection(
                cluster.get_node_from_key(body)), command, self._replica_wait_ms)
        except (MovedError, AskError):
            # The slot map was out of date: RedisCluster follows the redirection (and
            # corrects its map); WAIT on another connection would say nothing of this write.
            cluster.execute_command(*command)
            replicas = 0
        if replicas >= 1:
            return
        suppressed = self._unconfirmed.due()
        if suppressed is not None:
            logger.warning(
                "cache invalidation not confirmed by a replica, product %r may be stale for"
                " %r s after a failover", product_id, self._ttl,
                extra={"operation": "invalidate", "product_id": product_id,
                       "suppressed": suppressed})

    def _keys(self, product_id: int) -> tuple[str, str, str]:
        body = product_key(product_id)
        return body, body + ":gen", body + ":lock"

    def _fill(self, product_id: int, load: Callable[[], bytes | None]) -> tuple[bytes | None, str]:
        keys = self._keys(product_id)
        token = secrets.token_hex(8)
        args = [token, self._lock_ttl_ms, self._generation_ttl]
        try:
            state, value = self._acquire(keys=keys, args=args)
            if state == b"wait":
                body = self._wait_for(keys)
                if body is not None:
                    return body, "hit"
                # The loader gave up (no such product, a write beat its store) or is too slow.
                state, value = self._acquire(keys=keys, args=args)
        except _FAILURES as error:
            self._warn("fill", product_id, error)
            return load(), "error"
        if state == b"hit":
            return value, "hit"
        try:
            body = load()
            if body is not None:
                self._store(product_id, keys, value, body)
        finally:
            if state == b"lock":
                try:
                    self._release(keys=keys[2:], args=[token])
                except _FAILURES as error:  # the lock expires after lock_ttl_ms anyway
                    self._warn("release", product_id, error)
        return body, "miss"

    def _wait_for(self, keys: tuple[str, str, str]) -> bytes | None:
        """The loader's body; None once its lock is gone without one, or after lock_wait_ms."""
        deadline = time.monotonic() + self._lock_wait
        while time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
            body, locked = (self._client.pipeline(transaction=False)
                            .get(keys[0]).exists(keys[2]).execute())
            if body is not None or not locked:
                return body
        return None

    def _store(self, product_id: int, keys: tuple[str, str, str], generation: bytes,
               body: bytes) -> None:
        if self._before_store is not None:
            self._before_store(product_id)
        try:
            if self._check_generation:
                self._store_if_current(keys=keys[:2], args=[generation, body, self._ttl])
            else:
                self._client.set(keys[0], body, ex=self._ttl)
        except _FAILURES as error:
            self._warn("store", product_id, error)


def _run_then_wait(node: redis.Redis, command: tuple, wait_ms: int) -> int:
    """Run ``command`` on ``node``, then ``WAIT 1 wait_ms`` on the same connection (WAIT counts
    the replicas that have that connection's writes); the number of replicas that confirmed.

    Not a cluster pipeline: when a reply times out it sends the commands again one by one, the
    WAIT on a fresh connection, which confirms at once. A WAIT that outlasts the socket
    timeout (Redis checks blocked clients' timeouts about every 1/hz s) confirms nothing."""
    pool = node.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_packed_command(connection.pack_commands([command, ("WAIT", 1, wait_ms)]))
        connection.read_response()  # raises the script's error
        try:
            return int(connection.read_response())
        except (redis.TimeoutError, redis.ResponseError):
            connection.disconnect()  # a timed-out reply may still arrive
            return 0
    except BaseException:
        connection.disconnect()  # a half-read reply would poison the next command
        raise
    finally:
        pool.release(connection)
