"""models.events against PostgreSQL: one version per commit, events that share it and the
final representation, the visibility horizon under commits that land out of order, and
pruning in batches from two processes at once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from jobs.retention import prune_expired
from models import events
from models.db import db, release
from models.events import EventType
from models.failures import FailureCode, ImageFailure
from models.products import (
    clear_image_failure,
    create_product,
    delete_product,
    lock_owned_product,
    record_image_failure,
    row_from_snapshot,
    update_product,
    write_copy,
)
from tests.support.processes import wait_for

A, B = "https://img.example/a.jpg", "https://img.example/b.jpg"
FAILURE = ImageFailure(FailureCode.HTTP_STATUS, "HTTP 404 from img.example", False, 1, 404)
DEADLINE = 30.0


def _user(database, name: str = "ada") -> int:
    [user_id] = database.execute_sql(
        "INSERT INTO users (name, email, api_key_hash) VALUES (%s, %s, %s) RETURNING id",
        (name, f"{name}@example.com", name.encode())).fetchone()
    return user_id


def _all(user_id: int) -> list:
    return events.read(user_id, limit=100)


def _until(check, what: str):
    return wait_for(check, timeout=DEADLINE, interval=0.02, message=what)


def test_each_commit_bumps_the_version_once_and_its_events_share_it(clean_database):
    user_id = _user(clean_database)
    product = create_product(user_id, "Lamp", None, [A, B], Decimal("1.00"))
    assert product.version == 1
    with db.atomic():  # two results in one transaction: one commit, one version
        assert record_image_failure(product.id, A, FAILURE)
        assert write_copy(product.id, B, "https://cdn.example/products/1/b.jpg")
    assert clear_image_failure(product.id, A)  # a replay: pending again
    with db.atomic():
        updated, _ = update_product(lock_owned_product(product.id, user_id),
                                    {"product_name": "Brass lamp"})
    assert updated.version == 4
    with db.atomic():
        delete_product(lock_owned_product(product.id, user_id))
    release()

    found = _until(lambda: (lambda rows: rows if len(rows) == 7 else None)(_all(user_id)),
                   "seven events")
    assert [(e.type, e.version) for e in found] == [
        (EventType.CREATED, 1),
        (EventType.IMAGE_FAILED, 2), (EventType.IMAGE_READY, 2),
        (EventType.IMAGES_FINISHED, 2),
        (EventType.UPDATED, 3), (EventType.UPDATED, 4), (EventType.DELETED, 5)]
    one_commit = found[1:4]
    # The same representation, the commit's: both results, the product failed.
    assert len({repr(e.product) for e in one_commit}) == 1
    row = row_from_snapshot(one_commit[0].product)
    assert row.version == 2 and set(row.image_failures) == {A}
    assert row.compressed_product_images == [None, "https://cdn.example/products/1/b.jpg"]
    assert (found[1].image_indexes, found[1].source_url) == ([0], A)
    assert (found[2].image_indexes, found[2].source_url) == ([1], B)
    assert found[4].source_url is None and found[4].image_indexes is None
    assert row_from_snapshot(found[4].product).image_failures == {}
    assert row_from_snapshot(found[6].product).product_name == "Brass lamp"
    assert all(row_from_snapshot(e.product).version == e.version for e in found)


def test_a_change_that_changes_nothing_writes_no_event(clean_database):
    user_id = _user(clean_database)
    product = create_product(user_id, "Lamp", None, [A], Decimal("1.00"))
    assert not clear_image_failure(product.id, A)  # not failed
    assert not write_copy(product.id, B, "https://cdn.example/x.jpg")  # not its image
    with db.atomic():
        unchanged, _ = update_product(lock_owned_product(product.id, user_id), {})
    release()
    assert unchanged.version == 1
    assert [e.type for e in _until(lambda: _all(user_id), "the event")] == [EventType.CREATED]


def test_a_reader_never_skips_an_event_that_commits_after_a_later_one(clean_database):
    """Writer A takes the smaller transaction id and event id, writer B the larger; B commits
    first, A last. A reader polling in between must not move past A's position."""
    user_id = _user(clean_database)
    first = create_product(user_id, "A", None, [], Decimal("1.00"))
    second = create_product(user_id, "B", None, [], Decimal("1.00"))
    release()
    [start] = _until(lambda: (lambda rows: rows[-1:] if len(rows) == 2 else None)(
        _all(user_id)), "the two creations")
    a_written, a_may_commit, b_committed = threading.Event(), threading.Event(), \
        threading.Event()
    failures: list[BaseException] = []

    def write(product_id: int, name: str, before_commit: threading.Event | None,
              done: threading.Event) -> None:
        try:
            with db.atomic():
                update_product(lock_owned_product(product_id, user_id), {"product_name": name})
                done.set()
                if before_commit is not None and not before_commit.wait(DEADLINE):
                    raise TimeoutError("never told to commit")
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            release()

    writer_a = threading.Thread(target=write, args=(first.id, "A2", a_may_commit, a_written))
    writer_a.start()
    assert a_written.wait(DEADLINE)
    write(second.id, "B2", None, b_committed)  # commits while A is still open
    assert b_committed.is_set() and not failures

    seen, cursor = [], start.position
    for _ in range(20):  # polls between the two commits: B must not show before A
        seen += events.read(user_id, after=cursor)
        if seen:
            cursor = seen[-1].position
    release()
    assert seen == [], "an event showed while an older transaction was still in flight"

    a_may_commit.set()
    writer_a.join(DEADLINE)
    assert not failures

    def poll():
        nonlocal cursor
        rows = events.read(user_id, after=cursor)
        release()
        seen.extend(rows)
        if rows:
            cursor = rows[-1].position
        return len(seen) >= 2

    _until(poll, "both updates")
    assert [(row_from_snapshot(e.product).product_name) for e in seen] == ["A2", "B2"]
    assert seen[0].position < seen[1].position
    assert seen[0].position.id < seen[1].position.id  # A's event did take the smaller id


def test_every_users_events_read_in_one_order(clean_database):
    ada, bob = _user(clean_database), _user(clean_database, "bob")
    for owner in (ada, bob, ada):
        create_product(owner, "Lamp", None, [], Decimal("1.00"))
    release()
    found = _until(lambda: (lambda rows: rows if len(rows) == 3 else None)(
        events.read(None)), "three events")
    assert [e.user_id for e in found] == [ada, bob, ada]
    assert events.read(None, after=found[0].position) == found[1:]
    assert events.read(bob) == [found[1]]


def _old_events(database, user_id: int, count: int, days: int = 8) -> None:
    database.execute_sql(
        "INSERT INTO events (type, user_id, product_id, version, product, created_at)"
        " SELECT 'product.updated', %s, 1, 1, '{}', now() - make_interval(days => %s)"
        " FROM generate_series(1, %s)", (user_id, days, count))


def _count(database) -> int:
    return database.execute_sql("SELECT count(*) FROM events").fetchone()[0]


def test_pruning_deletes_expired_events_in_bounded_batches(clean_database):
    user_id = _user(clean_database)
    _old_events(clean_database, user_id, 250)
    _old_events(clean_database, user_id, 5, days=6)  # within retention: kept
    with db.atomic():
        assert events.prune(7, batch_size=100) == 100  # one batch, no more
    assert _count(clean_database) == 155
    assert prune_expired(7, batch_size=100) == 150
    assert _count(clean_database) == 5
    assert prune_expired(7, batch_size=100) == 0
    release()


def test_two_pruners_at_once_split_the_work_without_waiting(clean_database):
    """One pruner holds a batch's rows in an open transaction; another, meanwhile, prunes
    everything else without blocking on them, and together they delete each event once."""
    user_id = _user(clean_database)
    _old_events(clean_database, user_id, 1000)
    release()
    held, finish = threading.Event(), threading.Event()
    first: list[int] = []

    def hold_a_batch() -> None:
        try:
            with db.atomic():
                first.append(events.prune(7, batch_size=100))
                held.set()
                finish.wait(DEADLINE)
        finally:
            release()

    holder = threading.Thread(target=hold_a_batch)
    holder.start()
    assert held.wait(DEADLINE)
    second: list[int] = []
    other = threading.Thread(target=lambda: (second.append(prune_expired(7, batch_size=100)),
                                             release()))
    other.start()
    other.join(10)
    finish.set()
    holder.join(DEADLINE)
    assert not other.is_alive(), "the second pruner waited on the rows the first held"
    assert first == [100] and second == [900]
    assert _count(clean_database) == 0
    release()


@pytest.fixture(autouse=True)
def _no_connection_left(bound_database):
    yield
    release()
