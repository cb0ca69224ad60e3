"""Shared fixtures: the test database (never the development one) and settings.

A service that is not running is an error, never a skip: the session fails with the
command that starts it.
"""

from __future__ import annotations

import fcntl
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import sql

from core.settings import Settings, from_env

REPO = Path(__file__).resolve().parent.parent
TEST_DATABASE = "product_management_test"


def on_configured_server(database: str) -> str:
    """A URL for ``database`` on the PostgreSQL server the settings name (so a password in
    .env, as a fresh install by scripts/services.sh writes it, reaches the tests too)."""
    parts = urlsplit(from_env().database_url)
    return urlunsplit(parts._replace(path="/" + database))


ADMIN_URL = on_configured_server("postgres")
TEST_DATABASE_URL = on_configured_server(TEST_DATABASE)
TEST_REDIS_URL = "redis://127.0.0.1:6379/13"

SERVICES = {
    "PostgreSQL": (5432, "bash scripts/services.sh"),
    "Redis": (6379, "bash scripts/services.sh"),
    "RabbitMQ": (5672, "bash scripts/services.sh"),
}


def require_service(name: str) -> None:
    port, command = SERVICES[name]
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        pytest.fail(f"{name} is not answering on 127.0.0.1:{port}; start it with: {command}",
                    pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def one_session_at_a_time():
    """Test sessions share the machine's services (the test database, a RabbitMQ vhost, two
    Redis databases): a second session waits here rather than trample the first."""
    with open(Path(tempfile.gettempdir()) / "product-catalog-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


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
    # Redis database 13 is the tests' own; clean_database empties it with the tables.
    return Settings(database_url=database_url, api_key_secret="test-secret",
                    redis_url=TEST_REDIS_URL)


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
