"""core.rate_limit against a real Redis: the bucket's capacity, Retry-After, separate
subjects, processes sharing one bucket, and a Redis that is down."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from core.cache import redis_client
from core.rate_limit import RateLimiter
from tests.support.required import require_service

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    require_service("Redis")
    client = redis_client(REDIS_URL, socket_timeout=1.0)
    client.flushdb()
    yield client
    client.flushdb()


def test_a_full_bucket_allows_its_capacity_then_refuses_with_retry_after(client):
    # given a bucket of 5 a minute: one token every 12 s
    limiter = RateLimiter(client, scope="writes", per_minute=5)

    # when
    decisions = [limiter.take("key-1") for _ in range(7)]

    # then
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert all(1 <= d.retry_after <= 12 for d in decisions[5:])


def test_each_subject_has_its_own_bucket(client):
    limiter = RateLimiter(client, scope="writes", per_minute=1)
    assert limiter.take("a").allowed
    assert not limiter.take("a").allowed
    assert limiter.take("b").allowed


def test_two_limiters_on_one_redis_share_the_bucket_without_a_race(client):
    # given two API processes' limiters (separate clients) and 50 concurrent requests
    other = redis.Redis.from_url(REDIS_URL, socket_timeout=1.0)
    limiters = [RateLimiter(client, scope="writes", per_minute=20),
                RateLimiter(other, scope="writes", per_minute=20)]

    # when
    with ThreadPoolExecutor(max_workers=10) as pool:
        decisions = list(pool.map(lambda i: limiters[i % 2].take("one-key"), range(50)))

    # then exactly the capacity got through (a refill of 20/min adds none in this time)
    assert sum(d.allowed for d in decisions) in (20, 21)


def test_a_zero_limit_is_off(client):
    limiter = RateLimiter(client, scope="signups", per_minute=0)
    assert all(limiter.take("127.0.0.1").allowed for _ in range(100))
    assert client.dbsize() == 0


def test_redis_down_allows_and_warns_once(caplog):
    # given a Redis that nobody listens on
    down = redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.05,
                       socket_connect_timeout=0.05)
    limiter = RateLimiter(down, scope="writes", per_minute=1)

    # when
    decisions = [limiter.take("key-1") for _ in range(3)]

    # then
    assert all(d.allowed for d in decisions)
    warnings = [r for r in caplog.records if "not rate-limited" in r.getMessage()]
    assert len(warnings) == 1
