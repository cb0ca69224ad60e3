"""The system through PgBouncer in transaction-pooling mode (docs/api.md): the
processes' DATABASE_URL is a PgBouncer of the tests' own, their DATABASE_DIRECT_URL the test
server itself. The image pipeline's fixtures are reused, with these settings, so some of its
tests run here again through PgBouncer."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_DATABASE
from tests.integration.pipeline import conftest as pipeline
from tests.support.pgbouncer import PgBouncer

# The pipeline's fixtures, for the tests of this directory; its settings are overridden below.
account, api, images, pipeline_database, worker, worker_factory = (
    pipeline.account, pipeline.api, pipeline.images, pipeline.pipeline_database,
    pipeline.worker, pipeline.worker_factory)
broker_url, s3, s3_server = pipeline.broker_url, pipeline.s3, pipeline.s3_server
direct_settings = pipeline.pipeline_settings

#: A database of its own for the migration test, which creates and migrates it.
MIGRATED_DATABASE = "product_management_test_pgbouncer"


@pytest.fixture(scope="package")
def pgbouncer(database_url):
    bouncer = PgBouncer(database_url, [TEST_DATABASE, MIGRATED_DATABASE])
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="package")
def pipeline_settings(direct_settings, pgbouncer, database_url):
    return direct_settings.replace(database_url=pgbouncer.url(TEST_DATABASE),
                                   database_direct_url=database_url)


@pytest.fixture(scope="package")
def bound_database(pipeline_settings, database_url):
    """This process's pool, as the API's and the worker's, through PgBouncer; direct again
    afterwards, for the tests that follow."""
    from models.db import bind, db

    if not db.deferred:  # bound before: the direct connections go
        db.close_all()
    bind(pipeline_settings.database_url)
    yield db
    db.close_all()
    bind(database_url)
