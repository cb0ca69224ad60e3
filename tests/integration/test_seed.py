"""``loadtests.seed``: counts, idempotence, resuming, vocabulary names and working keys."""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg2
import pytest

from core.api_keys import hash_api_key
from loadtests.seed import main, seed, seed_email
from loadtests.vocabulary import MATERIALS, NOUNS, QUALIFIERS

SECRET = "test-secret"


def query(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    # A connection of its own: the seeder commits, and the test reads what others would see.
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def products_of(database_url: str, user_id: int) -> list[tuple]:
    return query(database_url, "SELECT id, product_name, product_price, product_images"
                 " FROM products WHERE user_id = %s ORDER BY id", (user_id,))


def test_seed_counts_names_prices_and_keys(database_url, clean_database):
    accounts = seed(database_url, users=2, products_per_user=500, api_key_secret=SECRET,
                    progress=False)

    assert [account["email"] for account in accounts] == [seed_email(1), seed_email(2)]
    assert [account["products"] for account in accounts] == [500, 500]
    assert query(database_url, "SELECT count(*) FROM users") == [(2,)]
    for account in accounts:
        rows = products_of(database_url, account["user_id"])
        assert len(rows) == 500
        for _, name, price, images in rows:
            words = name.split(" ")
            assert words[0] in MATERIALS and words[-1] in NOUNS, name
            assert len(words) == 2 or (len(words) == 3 and words[1] in QUALIFIERS), name
            assert Decimal("0.50") <= price <= Decimal("999.99")
            assert images == []
        # The key printed is the one whose HMAC is stored.
        stored = query(database_url, "SELECT api_key_hash FROM users WHERE id = %s",
                       (account["user_id"],))[0][0]
        assert bytes(stored) == hash_api_key(account["api_key"], SECRET)
    # The two users do not get the same products.
    names = [[row[1] for row in products_of(database_url, account["user_id"])]
             for account in accounts]
    assert names[0] != names[1]


def test_second_run_adds_nothing_and_rotates_the_key(database_url, clean_database):
    first = seed(database_url, users=2, products_per_user=500, api_key_secret=SECRET,
                 progress=False)
    before = {account["user_id"]: products_of(database_url, account["user_id"])
              for account in first}

    second = seed(database_url, users=2, products_per_user=500, api_key_secret=SECRET,
                  progress=False)

    assert [account["user_id"] for account in second] == list(before)
    assert query(database_url, "SELECT count(*) FROM users") == [(2,)]
    for account in second:
        assert products_of(database_url, account["user_id"]) == before[account["user_id"]]
    # Old keys cannot be recovered from their hashes, so each run issues (and prints) a new one.
    from models.users import user_id_for_key_hash

    for old, new in zip(first, second, strict=True):
        assert user_id_for_key_hash(hash_api_key(new["api_key"], SECRET)) == new["user_id"]
        assert user_id_for_key_hash(hash_api_key(old["api_key"], SECRET)) is None


def test_a_short_user_gets_the_same_missing_products_back(database_url, clean_database):
    [account] = seed(database_url, users=1, products_per_user=500, api_key_secret=SECRET,
                     progress=False)
    original = [row[1:] for row in products_of(database_url, account["user_id"])]
    query(database_url, "DELETE FROM products WHERE id IN (SELECT id FROM products"
          " WHERE user_id = %s ORDER BY id DESC LIMIT 123)", (account["user_id"],))

    [again] = seed(database_url, users=1, products_per_user=500, api_key_secret=SECRET,
                   progress=False)

    assert again["products"] == 500
    assert [row[1:] for row in products_of(database_url, account["user_id"])] == original


def test_asking_for_fewer_or_more(database_url, clean_database):
    seed(database_url, users=1, products_per_user=300, api_key_secret=SECRET, progress=False)
    [fewer] = seed(database_url, users=1, products_per_user=100, api_key_secret=SECRET,
                   progress=False)
    assert fewer["products"] == 300  # never deletes
    [more] = seed(database_url, users=1, products_per_user=700, api_key_secret=SECRET,
                  progress=False)
    assert more["products"] == 700
    assert query(database_url, "SELECT count(*) FROM products") == [(700,)]


def test_command_line_prints_one_json_line(database_url, clean_database, monkeypatch, capsys):
    monkeypatch.setenv("API_KEY_SECRET", SECRET)
    main(["--users", "1", "--products", "50", "--database-url", database_url, "--no-progress"])

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    [account] = json.loads(lines[0])["users"]
    assert account["products"] == 50
    stored = query(database_url, "SELECT api_key_hash FROM users WHERE id = %s",
                   (account["user_id"],))[0][0]
    assert bytes(stored) == hash_api_key(account["api_key"], SECRET)


def test_unmigrated_database_is_a_clear_error(database_url):
    # The maintenance database exists on every server and has no products table.
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with pytest.raises(RuntimeError, match="make migrate"):
        seed(admin_url, users=1, products_per_user=1, api_key_secret=SECRET, progress=False)
