"""Failed images as PostgreSQL keeps them: the product's failure object and the dead-letter
code, and rows written before codes existed."""

from __future__ import annotations

from jobs.deadletters import _print_table
from models.dead_letters import DeadLetter, archive, list_all
from models.failures import FailureCode, ImageFailure
from models.products import get_product, image_state, record_image_failure

URL = "https://img.example/a.jpg"


def _product(database) -> int:
    [user_id] = database.execute_sql(
        "INSERT INTO users (name, email, api_key_hash) VALUES ('Ada', 'ada@example.com', 'x')"
        " RETURNING id").fetchone()
    [product_id] = database.execute_sql(
        "INSERT INTO products (user_id, product_name, product_images, compressed_product_images,"
        " product_price) VALUES (%s, 'Lamp', ARRAY[%s], ARRAY[NULL], 1) RETURNING id",
        (user_id, URL)).fetchone()
    return product_id


def test_a_recorded_failure_reads_back_as_the_same_object(clean_database):
    product_id = _product(clean_database)
    failure = ImageFailure(FailureCode.HTTP_STATUS, "HTTP 404 from img.example", False, 1, 404)

    assert record_image_failure(product_id, URL, failure)

    row = get_product(product_id)
    assert ImageFailure.from_json(row.image_failures[URL]) == failure
    assert image_state(row.product_images, row.compressed_product_images,
                       row.image_failures)[1][0]["code"] == "HTTP_STATUS"


def test_a_legacy_string_failure_still_reads(clean_database):
    product_id = _product(clean_database)
    clean_database.execute_sql(
        "UPDATE products SET image_failures = jsonb_build_object(%s::text, 'HTTP 404')"
        " WHERE id = %s", (URL, product_id))

    row = get_product(product_id)

    assert image_state(row.product_images, row.compressed_product_images,
                       row.image_failures) == (
        "failed", [{"index": 0, "url": URL, "reason": "HTTP 404", "code": None}])


def _letter(message_id: str, **fields) -> DeadLetter:
    return DeadLetter(message_id=message_id, queue_name="images", actor_name="process_image",
                      kwargs={}, product_id=None, image_url=URL, reason="HTTP 410 from x",
                      attempts=1, failed_at=None, **fields)


def test_the_archive_keeps_the_code_and_old_letters_have_none(clean_database, capsys):
    new = "00000000-0000-0000-0000-000000000001"
    old = "00000000-0000-0000-0000-000000000002"
    archive(_letter(new, code=FailureCode.HTTP_STATUS, http_status=410))
    # A letter archived before migration 0004: its code and status columns are NULL.
    clean_database.execute_sql(
        "INSERT INTO dead_letters (message_id, queue_name, actor_name, kwargs, image_url,"
        " reason, attempts, failed_at) VALUES (%s, 'images', 'process_image', '{}', %s,"
        " 'old reason', 2, now() + interval '1 second')", (old, URL))

    letters = list_all()

    assert [(d.message_id, d.code, d.http_status) for d in letters] == [
        (new, "HTTP_STATUS", 410), (old, None, None)]
    _print_table(letters)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[3] == "code"
    assert [line.split("\t")[3] for line in lines[1:]] == ["HTTP_STATUS", "-"]


def test_archiving_a_message_again_updates_its_code(clean_database):
    message_id = "00000000-0000-0000-0000-000000000003"
    archive(_letter(message_id, code=FailureCode.CONNECTION_FAILED))
    archive(_letter(message_id, code=FailureCode.HTTP_STATUS, http_status=410))

    assert [(d.code, d.http_status) for d in list_all()] == [("HTTP_STATUS", 410)]
