"""One-off queries from tests, on a connection of their own (outside any pool)."""

from __future__ import annotations

import psycopg2


def scalar(database_url: str, sql: str, params: tuple = ()) -> object:
    """The first column of the first row of ``sql``."""
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]
    finally:
        connection.close()
