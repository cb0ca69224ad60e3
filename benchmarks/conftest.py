"""The benchmark database: ``product_management_bench``, migrated and seeded once, then kept.

Unlike the test database it is not dropped at the end: seeding is idempotent, so a re-run
finds the 100,000 products in place and starts measuring within a second. Drop it by hand
(``DROP DATABASE product_management_bench``) to start over, e.g. after a schema change that
the migrations do not cover.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.bench_database import (
    BENCH_API_KEY_SECRET,
    BENCH_DATABASE_URL,
    BENCH_PRODUCTS,
    BENCH_USERS,
    BenchDatabase,
)
from tests.support.required import require_service


@pytest.fixture(scope="session")
def bench_database() -> Iterator[BenchDatabase]:
    """The seeded benchmark database, with ``models.db`` bound to it."""
    require_service("PostgreSQL")
    from loadtests.seed import seed
    from models.db import bind, db
    from models.migrate import migrate

    migrate(BENCH_DATABASE_URL)
    [account] = seed(BENCH_DATABASE_URL, users=BENCH_USERS, products_per_user=BENCH_PRODUCTS,
                     api_key_secret=BENCH_API_KEY_SECRET, progress=True)
    bind(BENCH_DATABASE_URL)
    yield BenchDatabase(BENCH_DATABASE_URL, account["user_id"], account["products"],
                        account["api_key"])
    db.close_all()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """Print the one comparison table of the run, and write it to docs/."""
    from benchmarks import report

    if not report.ROWS and not report.FIGURES and not report.SECTIONS:
        return
    text = report.render("make bench")
    terminalreporter.write_sep("=", "make bench")
    terminalreporter.write_line(text)
