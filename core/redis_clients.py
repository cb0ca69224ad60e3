"""The Redis clients of the cache and the rate limiter: one server, or a Redis Cluster.

Both kinds answer late rather than never: connecting and each reply get a short socket timeout
and nothing is retried, so a failing Redis costs the caller one timeout, then the caller goes
on without it (the cache reads PostgreSQL, the limiter lets the request through).

On a cluster (``REDIS_URL=redis+cluster://host:port[,host:port...]`` or ``REDIS_CLUSTER=true``)
redis-py's RedisCluster follows MOVED and ASK itself. A call that fails on a node (its master
was killed, say) makes the client reload the slot map from another node before raising, so once
a replica is promoted the next call goes to it, without a restart and without retries here.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.commands.core import Script
from redis.connection import Encoder
from redis.exceptions import RedisClusterException, RedisError
from redis.retry import Retry

#: What a Redis call raises when Redis is down, slow or being failed over. RedisCluster raises
#: RedisClusterException (no RedisError) when no node answers or a slot has no owner.
FAILURES = (RedisError, RedisClusterException, OSError)
CLUSTER_SCHEME = "redis+cluster"

_clients: dict[tuple[str, bool, float], redis.Redis | LazyCluster] = {}
_clients_lock = threading.Lock()


def redis_client(url: str, *, cluster: bool = False,
                 socket_timeout: float = 0.05) -> redis.Redis | LazyCluster:
    """The process's one client (one set of connection pools) for ``url``.

    Parameters:
      url: REDIS_URL; a ``redis+cluster://`` one lists the cluster's startup nodes.
      cluster: REDIS_CLUSTER (Settings.uses_redis_cluster): ``url`` names one node of a
        cluster. Implied by a ``redis+cluster://`` URL.
      socket_timeout: for connecting and for each reply.

    redis-py disconnects a connection whose call failed before it goes back to the pool (the
    next call reconnects) and resets its pools after a fork.
    """
    cluster = cluster or url.startswith(CLUSTER_SCHEME + "://")
    with _clients_lock:
        client = _clients.get((url, cluster, socket_timeout))
        if client is None:
            client = (LazyCluster(cluster_options(url, socket_timeout)) if cluster else
                      redis.Redis.from_url(
                          url, socket_timeout=socket_timeout,
                          socket_connect_timeout=socket_timeout, health_check_interval=30,
                          retry=Retry(NoBackoff(), 0)))
            _clients[(url, cluster, socket_timeout)] = client
        return client


def cluster_options(url: str, socket_timeout: float) -> dict[str, Any]:
    """RedisCluster's keyword arguments for ``url`` (``redis+cluster://[user:password@]host:port
    [,host:port...]``, or a ``redis://`` URL of one node)."""
    scheme, _, rest = url.partition("://")
    credentials, _, hosts = rest.rpartition("@")
    hosts = hosts.split("/", 1)[0]
    username, _, password = credentials.partition(":")
    nodes = []
    for host in hosts.split(","):
        parts = urlsplit(f"//{host.strip()}")
        nodes.append(ClusterNode(parts.hostname or "127.0.0.1", parts.port or 6379))
    return {
        "startup_nodes": nodes, "username": unquote(username) or None,
        "password": unquote(password) or None, "ssl": scheme == "rediss",
        "socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout,
        "health_check_interval": 30,
        # No retries: the call that meets a dead master fails after one timeout, having
        # reloaded the slot map (RedisCluster does that before raising), so the next call
        # reaches the promoted replica. Its default (3 retries, exponential backoff) would make
        # one read wait several timeouts before it falls back to the database.
        "retry": Retry(NoBackoff(), 0),
        # The map may lack the slots of a master whose replica is not promoted yet: the other
        # slots go on being served (and the missing ones fail fast) rather than the client
        # refusing to start or refresh.
        "require_full_coverage": False,
    }


class LazyCluster:
    """A RedisCluster made at its first use, not when the process starts.

    RedisCluster asks a node for the slot map as it is built, so building it eagerly would make
    a cluster that is down when the API or a worker starts fail the start, where one server
    that is down costs nothing until it is used. While no node answers, each attempt costs one
    connect timeout per startup node; between attempts (``retry_seconds``) calls fail at once.
    Every other attribute is the built RedisCluster's.
    """

    def __init__(self, options: dict[str, Any], *, retry_seconds: float = 1.0) -> None:
        self.options = options
        self._retry_seconds = retry_seconds
        self._cluster: RedisCluster | None = None
        self._lock = threading.Lock()
        self._next_attempt = float("-inf")

    @property
    def cluster(self) -> RedisCluster:
        cluster = self._cluster
        if cluster is not None:
            return cluster
        with self._lock:
            if self._cluster is None:
                if time.monotonic() < self._next_attempt:
                    raise redis.ConnectionError("no Redis Cluster node answered a moment ago")
                try:
                    self._cluster = RedisCluster(**self.options)
                except FAILURES:
                    self._next_attempt = time.monotonic() + self._retry_seconds
                    raise
            return self._cluster

    def register_script(self, script: str) -> Script:
        # Script hashes its text with the client's encoder; this one sends nothing.
        return Script(self, script)

    def get_encoder(self) -> Encoder:
        return Encoder("utf-8", "strict", False)

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - whatever RedisCluster has
        return getattr(self.cluster, name)
