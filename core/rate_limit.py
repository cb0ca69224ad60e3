"""Token buckets in Redis: writes per API key and sign-ups per client address (docs/api.md).

A bucket holds up to ``per_minute`` tokens and refills at ``per_minute`` a minute; each request
takes one. The whole step is one Lua script on Redis's own clock, so every API process (and
host) shares one bucket per key without a race. Redis being down turns the limit off rather
than refusing requests: the limit protects the service, it is not what the service is for.
"""

from __future__ import annotations

import logging
import math
from typing import NamedTuple

import redis

from core.logs import Throttle
from core.redis_clients import FAILURES, LazyCluster

logger = logging.getLogger(__name__)

KEY_PREFIX = "rl:v1:"
#: Seconds between two warnings that Redis is down (the ones between are counted).
WARNING_INTERVAL = 30.0

# ARGV: capacity, refill per millisecond. Returns {allowed, milliseconds until a token}.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed, wait = 0, math.ceil((1 - tokens) / rate)
if tokens >= 1 then
  tokens, allowed, wait = tokens - 1, 1, 0
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return {allowed, wait}
"""


class Decision(NamedTuple):
    allowed: bool
    #: Whole seconds until the next token (the ``Retry-After`` value); 0 when allowed.
    retry_after: int


ALLOWED = Decision(True, 0)


class RateLimiter:
    """One kind of bucket (``scope``), shared by every process that uses the same Redis.

    Parameters:
      client: from core.redis_clients.redis_client (a cluster's too: a bucket is one key); its
        socket timeout bounds what a request waits for the limit.
      scope: names the kind of bucket in its keys (``writes``, ``signups``).
      per_minute: the bucket's capacity and its refill per minute; 0 turns the limit off.
    """

    def __init__(self, client: redis.Redis | LazyCluster, *, scope: str, per_minute: int) -> None:
        self._client = client
        self._scope = scope
        self._per_minute = per_minute
        self._take = client.register_script(_TAKE)
        self._throttle = Throttle(WARNING_INTERVAL)

    @property
    def enabled(self) -> bool:
        return self._per_minute > 0

    def take(self, subject: str) -> Decision:
        """Take one token from ``subject``'s bucket (an API key's id, a client address)."""
        if not self.enabled:
            return ALLOWED
        key = f"{KEY_PREFIX}{self._scope}:{{{subject}}}"
        try:
            allowed, wait_ms = self._take(keys=[key], args=[self._per_minute,
                                                             self._per_minute / 60_000])
        except FAILURES as error:
            self._warn(error)
            return ALLOWED
        if allowed:
            return ALLOWED
        return Decision(False, max(1, math.ceil(int(wait_ms) / 1000)))

    def _warn(self, error: BaseException) -> None:
        suppressed = self._throttle.due()
        if suppressed is not None:
            logger.warning("redis unavailable, %s are not rate-limited: %r", self._scope, error,
                           extra={"suppressed": suppressed})
