"""The unit of work on the real database: commit, release, then invalidate, in that order."""

from __future__ import annotations

import pytest

from core.unit_of_work import unit_of_work
from models.db import db


class RecordingCache:
    """Stands in for ProductCache.invalidate, noting the connection's state at each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool, bool]] = []

    def invalidate(self, product_id: int) -> None:
        self.calls.append((product_id, db.in_transaction(), db.is_closed()))


def test_invalidations_run_after_the_commit_with_the_connection_returned(clean_database):
    cache = RecordingCache()
    with unit_of_work(cache) as work:
        db.execute_sql("SELECT 1")
        work.invalidate(7)
        work.invalidate(7)
        assert cache.calls == []
    assert cache.calls == [(7, False, True)]


def test_a_failed_unit_invalidates_nothing_and_still_returns_the_connection(clean_database):
    cache = RecordingCache()
    with pytest.raises(RuntimeError), unit_of_work(cache) as work:
        db.execute_sql("SELECT 1")
        work.invalidate(7)
        raise RuntimeError("boom")
    assert cache.calls == []
    assert db.is_closed()
