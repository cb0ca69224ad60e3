"""``python -m models.migrate``: create the database when missing, then apply migrations.

Safe to run from several processes at once: creating the database tolerates losing the race,
and the migrations run under a PostgreSQL advisory lock, so two processes starting together
cannot both apply one (yoyo's own lock table is itself created unguarded on first use).
That lock is a session's, and creating the database needs the maintenance database: both
need a direct connection, so the command connects to ``DATABASE_DIRECT_URL`` when set, past
a transaction pooler that ``DATABASE_URL`` may name.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from psycopg2 import errors, sql
from yoyo import get_backend, read_migrations

from core.logs import configure_logging
from core.settings import load_or_exit
from models.db import connect_arguments

logger = logging.getLogger(__name__)

MIGRATIONS_DIRECTORY = Path(__file__).resolve().parent.parent / "migrations"

#: Arbitrary but fixed key for pg_advisory_lock; every migrating process uses the same one.
MIGRATION_LOCK_KEY = 724_113_001


def create_database_if_missing(database_url: str) -> bool:
    """Create the URL's database when it does not exist; True when this call created it."""
    arguments = connect_arguments(database_url)
    name = arguments.pop("database")
    connection = psycopg2.connect(database="postgres", **arguments)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                return False
            try:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except (errors.DuplicateDatabase, errors.UniqueViolation):
                return False  # another process created it between our check and our CREATE
            return True
    finally:
        connection.close()


def apply_migrations(database_url: str, directory: Path = MIGRATIONS_DIRECTORY) -> int:
    """Apply the pending migrations under an advisory lock; returns how many were applied."""
    arguments = connect_arguments(database_url)
    lock_connection = psycopg2.connect(**arguments)
    lock_connection.autocommit = True
    try:
        with lock_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        backend = get_backend(database_url)  # "postgresql://" is psycopg2 to yoyo
        migrations = read_migrations(str(directory))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return len(pending)
    finally:
        lock_connection.close()  # ends the session, which releases the advisory lock


def migrate(database_url: str) -> int:
    """Create the database when missing, then apply pending migrations."""
    if create_database_if_missing(database_url):
        logger.info("created database", extra={"database": urlsplit(database_url).path[1:]})
    applied = apply_migrations(database_url)
    logger.info("migrations applied", extra={"applied": applied})
    return applied


def main() -> None:
    settings = load_or_exit()
    configure_logging(settings.log_level)
    migrate(settings.direct_database_url)


if __name__ == "__main__":
    main()
