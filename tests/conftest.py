"""Shared fixtures: the test database (never the development one) and settings.

A service that is not running is an error, never a skip: the session fails with the
command that starts it.
"""

from __future__ import annotations

import fcntl
from typing import IO

import psycopg2
import pytest
from psycopg2 import sql

from core.settings import Settings
from tests.support.database import on_configured_server
from tests.support.redis_server import TEST_REDIS_URL
from tests.support.required import SESSION_LOCK, require_service

TEST_DATABASE = "product_management_test"


ADMIN_URL = on_configured_server("postgres")
TEST_DATABASE_URL = on_configured_server(TEST_DATABASE)

_LOCK = pytest.StashKey[IO[str]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Test sessions share the machine's services (the test database, a RabbitMQ vhost, two
    Redis databases): a second session waits here rather than trample the first. Taken at the
    session's start, not in a fixture, so the wait is outside every test's timeout."""
    session.config.stash[_LOCK] = lock = open(SESSION_LOCK, "w")  # held for the session
    fcntl.flock(lock, fcntl.LOCK_EX)


def pytest_sessionfinish(session: pytest.Session) -> None:
    lock = session.config.stash.get(_LOCK, None)
    if lock is not None:
        lock.close()  # releases the flock


@pytest.fixture(scope="session")
def database_url() -> str:
    """A freshly created and migrated test database, dropped again at the end."""
    require_service("PostgreSQL")
    from models.migrate import migrate

    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(TEST_DATABASE)))
    migrate(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(TEST_DATABASE)))
    admin.close()


@pytest.fixture(scope="session")
def base_settings(database_url: str) -> Settings:
    # The suite makes more writes a minute than any client should: its rate limits are off
    # (0), and the tests of the limits turn them on.
    return Settings(database_url=database_url, api_key_secret="test-secret",
                    redis_url=TEST_REDIS_URL, rate_limit_writes_per_minute=0,
                    rate_limit_signups_per_minute=0)


@pytest.fixture(scope="session")
def bound_database(database_url: str):
    from models.db import bind, db

    bind(database_url)
    yield db
    db.close_all()


@pytest.fixture
def clean_database(bound_database):
    """Empties every table, and the cache, before the test (data is committed, so other
    processes can see it)."""
    import redis

    from models.db import release

    bound_database.execute_sql(
        "TRUNCATE users, products, outbox, dead_letters RESTART IDENTITY CASCADE")
    require_service("Redis")
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    release()
    yield bound_database
    release()
