"""Migrations and the seeding command hold session advisory locks, and creating a database
needs the maintenance database: with DATABASE_URL on PgBouncer they connect to
DATABASE_DIRECT_URL, and nothing of theirs goes through PgBouncer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg2
import pytest
from psycopg2 import sql

from tests.conftest import ADMIN_URL
from tests.integration.pgbouncer.conftest import MIGRATED_DATABASE
from tests.support.database import on_configured_server, scalar
from tests.support.processes import REPO

pytestmark = pytest.mark.cluster


def drop_migrated_database() -> None:
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(MIGRATED_DATABASE)))
    finally:
        admin.close()


@pytest.fixture
def environment(pgbouncer):
    drop_migrated_database()
    yield {**os.environ, "DATABASE_URL": pgbouncer.url(MIGRATED_DATABASE),
           "DATABASE_DIRECT_URL": on_configured_server(MIGRATED_DATABASE)}
    drop_migrated_database()


def test_migrate_and_seed_connect_directly(environment, pgbouncer):
    # when: two migrations start at once on a database that does not exist yet, then the seed
    migrations = [subprocess.Popen([sys.executable, "-m", "models.migrate"], cwd=REPO,
                                   env=environment, stderr=subprocess.PIPE, text=True)
                  for _ in range(2)]
    for migration in migrations:
        _, errors = migration.communicate(timeout=120)
        assert migration.returncode == 0, errors
    seeded = subprocess.run(
        [sys.executable, "-m", "loadtests.seed", "--users", "1", "--products", "25",
         "--no-progress"], cwd=REPO, env=environment, capture_output=True, text=True,
        timeout=120)
    assert seeded.returncode == 0, seeded.stderr

    # then: none of it went through PgBouncer
    assert pgbouncer.transactions(MIGRATED_DATABASE) == 0
    # and: through PgBouncer, the database is migrated and seeded
    [account] = json.loads(seeded.stdout)["users"]
    through = environment["DATABASE_URL"]
    assert scalar(through, "SELECT count(*) FROM products WHERE user_id = %s",
                  (account["user_id"],)) == 25
    applied = scalar(through, "SELECT count(*) FROM _yoyo_migration")
    assert applied == len(list((REPO / "migrations").glob("*.sql")))
