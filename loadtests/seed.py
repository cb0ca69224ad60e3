"""``python -m loadtests.seed``: users with many products, for load tests and benchmarks.

    python -m loadtests.seed [--users N] [--products N] [--database-url URL]

Seed user ``n`` (1..N) is ``seed-user-{n}@example.com``; it gets ``--products`` products
(default 100,000) named from :mod:`loadtests.vocabulary`, priced 0.50..999.99, without images.
The database must be migrated already (``make migrate``).

Idempotent and resumable: product ``k`` of seed user ``n`` is always the same name and price
(its random generator is seeded with ``n`` and ``k``'s chunk), a user that already has the
requested count gets nothing, and one that has fewer gets the missing ones. Rows go in with
COPY in batches, each batch its own transaction, so an interrupted run keeps what it wrote;
then ``VACUUM (ANALYZE) products`` runs, when rows were added.

API keys are stored only as their HMAC, so an old key cannot be printed again: every run
gives each seed user a fresh key (the previous one stops working) and prints, on stdout, one
JSON line ``{"users": [{"user_id", "email", "api_key", "products"}, ...]}``. Progress goes to
stderr.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from collections.abc import Iterator
from typing import TextIO

import psycopg2
from psycopg2 import errors

from core.api_keys import hash_api_key, new_api_key
from loadtests.vocabulary import product_name
from models.db import connect_arguments

DEFAULT_USERS = 1
DEFAULT_PRODUCTS = 100_000
#: Rows per COPY (and per transaction): big enough that per-statement costs vanish, small
#: enough that the buffer stays a few MB and an interrupted run loses little.
BATCH_SIZE = 50_000
#: Products are generated in fixed chunks, each from its own seeded generator, so product k
#: comes out the same whichever run, batch size or starting point produces it.
CHUNK_SIZE = 10_000
PRICE_CENTS_MIN = 50
PRICE_CENTS_MAX = 99_999
#: Arbitrary but fixed pg_advisory_lock key: two seeders at once run one after the other,
#: so the second counts what the first wrote instead of adding the same products again.
SEED_LOCK_KEY = 724_113_002

_COPY_SQL = "COPY products (user_id, product_name, product_price) FROM STDIN"
_UPSERT_USER_SQL = (
    "INSERT INTO users (name, email, api_key_hash) VALUES (%s, %s, %s)"
    " ON CONFLICT ((lower(email))) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash"
    " RETURNING id"
)


def seed_email(number: int) -> str:
    """The e-mail of seed user ``number`` (1-based): the key that makes re-runs find it."""
    return f"seed-user-{number}@example.com"


def product_rows(user_number: int, start: int, stop: int) -> Iterator[tuple[str, str]]:
    """``(name, price)`` of products ``start``..``stop - 1`` (0-based) of seed user ``n``."""
    for chunk in range(start // CHUNK_SIZE, -(-stop // CHUNK_SIZE)):
        # A string seed goes through SHA-512, so it does not depend on PYTHONHASHSEED.
        rng = random.Random(f"loadtests.seed:{user_number}:{chunk}")
        first = chunk * CHUNK_SIZE
        for index in range(first, min(first + CHUNK_SIZE, stop)):
            # Draw for every index, even skipped ones, so later products stay the same.
            name = product_name(rng)
            cents = rng.randint(PRICE_CENTS_MIN, PRICE_CENTS_MAX)
            if index >= start:
                yield name, f"{cents // 100}.{cents % 100:02d}"


class Progress:
    """A one-line progress bar on a stream (a line per update when it is not a terminal)."""

    WIDTH = 30

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.started = time.perf_counter()
        self.interactive = enabled and self.stream.isatty()
        self._draw()

    def advance(self, count: int) -> None:
        self.done += count
        self._draw()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        if not self.enabled:
            return
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self.WIDTH)
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}]"
            f" {self.done:,}/{self.total:,} {fraction:4.0%} {elapsed:5.1f}s {rate:,.0f}/s"
        )
        self.stream.write(("\r" + line) if self.interactive else (line + "\n"))
        self.stream.flush()


def seed(
    database_url: str,
    *,
    users: int,
    products_per_user: int,
    api_key_secret: str,
    progress: bool = True,
) -> list[dict]:
    """Make seed users 1..``users`` own at least ``products_per_user`` products each.

    Parameters:
      database_url: a migrated database, ``postgresql://user:password@host:port/name``.
      api_key_secret: the server's API_KEY_SECRET, so the returned keys authenticate.
      progress: draw a progress bar on stderr.

    Returns one ``{"user_id", "email", "api_key", "products"}`` per seed user, ``products``
    being the user's product count afterwards (more than asked when it already had more).
    """
    if users < 0 or products_per_user < 0:
        raise ValueError("users and products_per_user must be 0 or more")
    arguments = connect_arguments(database_url)
    arguments["application_name"] = "loadtests.seed"
    connection = psycopg2.connect(**arguments)
    try:
        with connection.cursor() as cursor:
            connection.autocommit = True
            cursor.execute("SELECT pg_advisory_lock(%s)", (SEED_LOCK_KEY,))
            connection.autocommit = False

            accounts = []
            with connection:  # one transaction: every seed user exists with a fresh key
                for number in range(1, users + 1):
                    api_key = new_api_key()
                    cursor.execute(_UPSERT_USER_SQL, (
                        f"Seed User {number}", seed_email(number),
                        hash_api_key(api_key, api_key_secret)))
                    user_id = cursor.fetchone()[0]
                    accounts.append({"user_id": user_id, "email": seed_email(number),
                                     "api_key": api_key, "number": number})
                cursor.execute(
                    "SELECT user_id, count(*) FROM products WHERE user_id = ANY(%s)"
                    " GROUP BY user_id", ([account["user_id"] for account in accounts],))
                counts = dict(cursor.fetchall())

            missing = sum(max(0, products_per_user - counts.get(account["user_id"], 0))
                          for account in accounts)
            bar = Progress(missing, "seeding products", enabled=progress and missing > 0)
            added = 0
            for account in accounts:
                have = counts.get(account["user_id"], 0)
                for start in range(have, products_per_user, BATCH_SIZE):
                    stop = min(start + BATCH_SIZE, products_per_user)
                    _copy_products(cursor, account["user_id"], account["number"], start, stop)
                    connection.commit()
                    bar.advance(stop - start)
                    added += stop - start
                account["products"] = max(have, products_per_user)
            bar.close()

            # VACUUM, not only ANALYZE: besides fresh statistics for the planner, it flushes
            # the trigram GIN index's pending list (COPY fills it; searches scan it linearly)
            # and sets the visibility map, so the first queries measure a settled table.
            # Skipped when nothing was added (unless the table was never analyzed, e.g. a run
            # interrupted after its last batch): ANALYZE samples rows at random, and a fresh
            # sample can flip plans between two benchmark runs over the same data.
            connection.autocommit = True
            if added or _never_analyzed(cursor):
                cursor.execute("VACUUM (ANALYZE) products")
    except errors.UndefinedTable as error:
        raise RuntimeError(
            f"{error.pgerror.strip()}: migrate the database first (make migrate)") from error
    finally:
        connection.close()  # also releases the advisory lock
    return [{key: account[key] for key in ("user_id", "email", "api_key", "products")}
            for account in accounts]


def _never_analyzed(cursor) -> bool:
    cursor.execute("SELECT last_analyze IS NULL AND last_autoanalyze IS NULL"
                   " FROM pg_stat_user_tables WHERE relid = 'products'::regclass")
    row = cursor.fetchone()
    return row is None or row[0]


def _copy_products(cursor, user_id: int, user_number: int, start: int, stop: int) -> None:
    """COPY products ``start``..``stop - 1`` of one seed user from an in-memory buffer."""
    buffer = io.StringIO()
    # Vocabulary words hold no tab, newline or backslash, so the text format needs no escaping.
    buffer.writelines(f"{user_id}\t{name}\t{price}\n"
                      for name, price in product_rows(user_number, start, stop))
    buffer.seek(0)
    cursor.copy_expert(_COPY_SQL, buffer)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.seed",
        description="Create seed users and products for load tests (idempotent).")
    parser.add_argument("--users", type=_non_negative_int, default=DEFAULT_USERS,
                        help=f"seed users to make (default {DEFAULT_USERS})")
    parser.add_argument("--products", type=_non_negative_int, default=DEFAULT_PRODUCTS,
                        help=f"products per user (default {DEFAULT_PRODUCTS:,})")
    parser.add_argument("--database-url", default=None,
                        help="default: DATABASE_DIRECT_URL, else DATABASE_URL (or DB_*) as"
                             " the API reads it")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def _non_negative_int(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 0:
        raise argparse.ArgumentTypeError("expected an integer of 0 or more")
    return value


def main(argv: list[str] | None = None) -> None:
    from core.settings import SettingsError, from_env

    arguments = parse_arguments(argv)
    try:
        settings = from_env()
    except SettingsError as error:
        sys.exit(f"configuration error: {error}")
    if settings.uses_development_secret:
        print("warning: API_KEY_SECRET is unset; the keys work only with the development "
              "secret", file=sys.stderr)
    try:
        accounts = seed(
            # A direct session: its advisory lock would not hold through a transaction pooler.
            arguments.database_url or settings.direct_database_url,
            users=arguments.users,
            products_per_user=arguments.products,
            api_key_secret=settings.api_key_secret,
            progress=not arguments.no_progress,
        )
    except (RuntimeError, psycopg2.OperationalError) as error:
        sys.exit(f"seed: {error}")
    print(json.dumps({"users": accounts}), flush=True)


if __name__ == "__main__":
    main()
