"""The test databases' URLs, and one-off queries from tests on a connection of their own
(outside any pool)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg2

from core.settings import from_env


def scalar(database_url: str, sql: str, params: tuple = ()) -> object:
    """The first column of the first row of ``sql``."""
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]
    finally:
        connection.close()


def on_configured_server(database: str) -> str:
    """A URL for ``database`` on the PostgreSQL server the settings name (so a password in
    .env, as a fresh install by scripts/services.sh writes it, reaches the tests too)."""
    parts = urlsplit(from_env().database_url)
    return urlunsplit(parts._replace(path="/" + database))
