"""Products: the aggregate the API writes and the image worker completes.

The hot reads (one product by id, one page of a user's products) use SQL written once here
with bound parameters: building it through peewee's query builder costs more than running it.

Every function that changes a product also records its events (:mod:`models.events`) and
bumps its ``version`` in the same transaction; callers run it inside theirs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from peewee import (
    SQL,
    BigAutoField,
    BigIntegerField,
    CharField,
    DecimalField,
    Model,
    TextField,
    fn,
)
from playhouse.postgres_ext import ArrayField, BinaryJSONField, DateTimeTZField
from psycopg2.extras import Json

from models.db import db
from models.events import BUMP_VERSION, IMAGE_TYPES, EventType, record
from models.failures import ImageFailure
from models.retired import forget, retire

PAGE_SIZE_MAX = 100


class Product(Model):
    """The columns' types, for peewee's query builder (writes); a test checks that it has
    exactly the fields of :class:`ProductRow`."""

    id = BigAutoField()
    user_id = BigIntegerField()
    product_name = CharField(max_length=255)
    product_description = TextField(null=True)
    product_images = ArrayField(TextField, default=list)
    compressed_product_images = ArrayField(TextField, default=list)
    image_failures = BinaryJSONField(default=dict)
    product_price = DecimalField(max_digits=10, decimal_places=2)
    created_at = DateTimeTZField()
    updated_at = DateTimeTZField()
    image_media = BinaryJSONField(default=dict)
    version = BigIntegerField(default=1)

    class Meta:
        database = db
        table_name = "products"


class ProductRow(NamedTuple):
    """A product as stored: the one definition of its fields, in the table's column order.

    The SQL column lists below, the API's response schema (:class:`api.schemas.Product`) and
    its rendering (:func:`core.representation.product_document`) are derived from it; tests
    compare the table and the peewee model with it. Adding a field is this edit plus a
    migration.
    """

    id: int
    user_id: int
    product_name: str
    product_description: str | None
    product_images: list[str]
    compressed_product_images: list[str | None]
    #: Source URL -> the stored :class:`models.failures.ImageFailure` (or a legacy string).
    image_failures: dict[str, dict | str]
    product_price: Decimal
    created_at: datetime
    updated_at: datetime
    #: Rendition sets by source URL (:mod:`models.media`); shown as ``images``.
    image_media: dict[str, dict]
    #: One more with every committed change (docs/api.md); 1 when created.
    version: int


class ProductNotFound(LookupError):
    """No product has this id."""


class NotOwner(PermissionError):
    """The acting user does not own the product."""


# Every query reads the columns of ProductRow, in its order, so that rows unpack into it.
_COLUMNS = ", ".join(ProductRow._fields)
_RETURNING = [Product._meta.fields[name] for name in ProductRow._fields]
_GET_SQL = f"SELECT {_COLUMNS} FROM products WHERE id = %s"
_LOCK_SQL = f"SELECT {_COLUMNS} FROM products WHERE id = %s FOR UPDATE"
_LOCK_STATE_SQL = ("SELECT product_images, compressed_product_images, image_failures"
                   " FROM products WHERE id = %s FOR UPDATE")
_BUMP = SQL(BUMP_VERSION.partition(" = ")[2])


def row_from_snapshot(snapshot: dict) -> ProductRow:
    """The row of a stored snapshot (:mod:`models.events`: ``to_jsonb`` of the row, the price
    as text)."""
    values = dict(snapshot)
    values["product_price"] = Decimal(values["product_price"])
    for name in ("created_at", "updated_at"):
        values[name] = datetime.fromisoformat(values[name]).astimezone(UTC)
    return ProductRow(**{name: values[name] for name in ProductRow._fields})


@contextmanager
def _transaction() -> Iterator[None]:
    """The caller's transaction, or one of its own: a change and its events commit together
    (no savepoint round trips when the caller has one)."""
    with nullcontext() if db.in_transaction() else db.atomic():
        yield


def _pending(images: Sequence[str], copies: Sequence[str | None],
             failures: Mapping[str, dict | str]) -> bool:
    return image_state(images, copies, failures)[0] == "pending"


def _row_pending(product: ProductRow) -> bool:
    return _pending(product.product_images, product.compressed_product_images,
                    product.image_failures)


def _record_change(was_pending: bool, after: ProductRow, event_type: EventType,
                   url: str | None = None) -> None:
    """The change's event (an image event names ``url`` and where it stands), and
    ``product.images.finished`` when the change took the product out of ``pending``."""
    if event_type not in IMAGE_TYPES:
        record(after.id, event_type)
    else:
        record(after.id, event_type, source_url=url,
               image_indexes=[i for i, each in enumerate(after.product_images) if each == url])
    if was_pending and not _row_pending(after):
        record(after.id, EventType.IMAGES_FINISHED)


def image_state(
    images: Sequence[str], copies: Sequence[str | None], failures: Mapping[str, dict | str]
) -> tuple[str, list[dict]]:
    """The ``image_status`` and ``image_errors`` of a product (docs/api.md): each error
    is ``{"index", "url", "reason", "code"}``, the reason being the failure's message and the
    code None for a failure recorded before codes were (:mod:`models.failures`)."""
    errors = []
    pending = False
    for index, (url, copy) in enumerate(zip(images, copies, strict=True)):
        if copy is not None:
            continue
        stored = failures.get(url)
        if stored is None:
            pending = True
        else:
            failure = ImageFailure.from_json(stored)
            errors.append({"index": index, "url": url, "reason": failure.message,
                           "code": failure.code})
    if pending:
        return "pending", errors
    return ("failed" if errors else "done"), errors


def urls_without_copy(images: Sequence[str], copies: Sequence[str | None]) -> list[str]:
    """Each distinct URL that has no copy yet, in first-seen order (one job per URL)."""
    missing = (url for url, copy in zip(images, copies, strict=True) if copy is None)
    return list(dict.fromkeys(missing))


def get_product(product_id: int) -> ProductRow | None:
    row = db.execute_sql(_GET_SQL, (product_id,)).fetchone()
    return ProductRow(*row) if row else None


def create_product(
    user_id: int, name: str, description: str | None, images: list[str], price: Decimal
) -> ProductRow:
    """Insert a product whose images all wait for their copies (version 1)."""
    query = Product.insert(
        user_id=user_id,
        product_name=name,
        product_description=description,
        product_images=images,
        compressed_product_images=[None] * len(images),
        image_failures={},
        image_media={},
        product_price=price,
    ).returning(*_RETURNING)
    with _transaction():
        product = ProductRow(*next(iter(query.tuples().execute())))
        record(product.id, EventType.CREATED)
    return product


def lock_owned_product(product_id: int, user_id: int) -> ProductRow:
    """Lock the product's row for the current transaction, checking who owns it."""
    row = db.execute_sql(_LOCK_SQL, (product_id,)).fetchone()
    if row is None:
        raise ProductNotFound(product_id)
    product = ProductRow(*row)
    if product.user_id != user_id:
        raise NotOwner(product_id)
    return product


def update_product(product: ProductRow, changes: dict) -> tuple[ProductRow, list[str]]:
    """Apply ``changes`` to a product locked with :func:`lock_owned_product`.

    A URL the product already had keeps its copy wherever it now stands; a new URL, or one
    that had failed, starts over. Returns the new row and the URLs that need a job.
    """
    values = {getattr(Product, field): value for field, value in changes.items()}
    to_queue: list[str] = []
    if "product_images" in changes:
        images = changes["product_images"]
        copy_of: dict[str, str] = {}
        old = zip(product.product_images, product.compressed_product_images, strict=True)
        for url, copy in old:
            if copy is not None:
                copy_of.setdefault(url, copy)
        copies = [copy_of.get(url) for url in images]
        already_queued = {
            url for url in product.product_images if url not in product.image_failures
        }
        to_queue = [url for url in urls_without_copy(images, copies) if url not in already_queued]
        values[Product.compressed_product_images] = copies
        # Rendition sets of dropped URLs go with them (their objects stay until the
        # product's deletion or a re-render's cleanup); the kept ones keep theirs.
        values[Product.image_media] = {url: record for url, record in product.image_media.items()
                                       if url in images}
        # Errors of dropped URLs go with them, and a failed URL that stays is retried.
        values[Product.image_failures] = {}
    if not values:
        return product, []
    values[Product.updated_at] = fn.now()
    values[Product.version] = _BUMP
    query = Product.update(values).where(Product.id == product.id).returning(*_RETURNING)
    with _transaction():
        updated = ProductRow(*next(iter(query.tuples().execute())))
        _record_change(_row_pending(product), updated, EventType.UPDATED)
    return updated, to_queue


def delete_product(product: ProductRow) -> None:
    """Delete a product locked with :func:`lock_owned_product`; its last event shows it as
    it was, one version on."""
    with _transaction():
        db.execute_sql(f"UPDATE products SET {BUMP_VERSION} WHERE id = %s", (product.id,))
        record(product.id, EventType.DELETED)
        Product.delete().where(Product.id == product.id).execute()


def list_products(
    user_id: int,
    *,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    name: str | None = None,
    before_id: int | None = None,
    limit: int = 20,
) -> list[ProductRow]:
    """One page of a user's products, newest (highest id) first.

    Parameters:
      name: case-insensitive substring of ``product_name``; ``%``, ``_`` and ``\\`` match
        literally.
      before_id: keyset cursor: only products with a smaller id.
    """
    # Only fixed fragments are joined; every value travels as a bound parameter.
    conditions = ["user_id = %s"]
    params: list = [user_id]
    if min_price is not None:
        conditions.append("product_price >= %s")
        params.append(min_price)
    if max_price is not None:
        conditions.append("product_price <= %s")
        params.append(max_price)
    if name:
        conditions.append("product_name ILIKE %s")
        params.append("%" + escape_like(name) + "%")
    if before_id is not None:
        conditions.append("id < %s")
        params.append(before_id)
    params.append(min(limit, PAGE_SIZE_MAX))
    sql = (
        f"SELECT {_COLUMNS} FROM products WHERE {' AND '.join(conditions)}"
        " ORDER BY id DESC LIMIT %s"
    )
    return [ProductRow(*row) for row in db.execute_sql(sql, params).fetchall()]


def escape_like(text: str) -> str:
    """Make ``%``, ``_`` and ``\\`` match themselves in a LIKE pattern (backslash escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def write_copy(product_id: int, url: str, copy_url: str, media: dict | None = None) -> bool:
    """Store ``copy_url`` at every index where the product still has ``url``, and ``media``
    (its rendition set, :func:`models.media.media_record`) under ``url``, in one statement.

    Conditional on the URL still being there, so an edit in the meantime wins and a
    reordering loses nothing. Returns False when the product no longer has the URL. Records
    ``product.image.ready`` (a re-render's new set too).
    """
    return _change_image(
        product_id, url, EventType.IMAGE_READY,
        "compressed_product_images = ARRAY("
        "   SELECT CASE WHEN source = %s THEN %s ELSE copy END"
        "   FROM unnest(product_images, compressed_product_images)"
        "        WITH ORDINALITY AS image(source, copy, position) ORDER BY position),"
        " image_media = CASE WHEN %s::jsonb IS NULL THEN image_media - %s"
        "   ELSE image_media || jsonb_build_object(%s::text, %s::jsonb) END,"
        " image_failures = image_failures - %s",
        (url, copy_url, _json_or_none(media), url, url, _json_or_none(media), url),
        "%s = ANY(product_images)", (url,))


def _change_image(product_id: int, url: str, event_type: EventType, assignments: str,
                  values: tuple, condition: str, condition_values: tuple) -> bool:
    """One conditional UPDATE of a product's image state, with its events; False when the
    condition left the product as it was (or there is none)."""
    with _transaction():
        # Only what image_status needs: the rendition sets are the bulk of a row.
        before = db.execute_sql(_LOCK_STATE_SQL, (product_id,)).fetchone()
        if before is None:
            return False
        row = db.execute_sql(
            f"UPDATE products SET {assignments}, updated_at = now(), {BUMP_VERSION}"
            f" WHERE id = %s AND {condition} RETURNING {_COLUMNS}",
            (*values, product_id, *condition_values)).fetchone()
        if row is None:
            return False
        _record_change(_pending(*before), ProductRow(*row), event_type, url)
    return True


def replace_set(product_id: int, url: str, copy_url: str, media: dict,
                grace_days: int) -> bool:
    """:func:`write_copy`, retiring the objects of the set it replaces; call inside a
    transaction.

    The old record's keys (a legacy copy's one key) that nothing of the product uses after
    the write are removed ``grace_days`` later (:mod:`models.retired`); the new set's keys
    are kept even if an older replacement had retired them (keys are content hashes).
    """
    row = db.execute_sql(
        "SELECT image_media -> %s, ARRAY(SELECT copy FROM unnest(product_images,"
        "   compressed_product_images) AS image(source, copy) WHERE source = %s)"
        " FROM products WHERE id = %s FOR UPDATE", (url, url, product_id)).fetchone()
    if row is None or not write_copy(product_id, url, copy_url, media):
        return False
    old_record, old_copies = row
    old_urls = ([r["url"] for r in old_record["renditions"]] if old_record is not None
                else old_copies)
    old_keys = [key for key in map(partial(copy_key, product_id), old_urls) if key]
    new_keys = set(media_keys(product_id, media))
    forget(sorted(new_keys))
    replaced = [key for key in old_keys if key not in new_keys]
    retire(product_id, sorted(set(replaced) - keys_in_use(product_id, replaced)), grace_days)
    return True


def media_keys(product_id: int, record: dict) -> list[str]:
    """The object keys of a recorded rendition set, read from its URLs."""
    return [key for key in (copy_key(product_id, r["url"]) for r in record["renditions"])
            if key]


def copy_key(product_id: int, copy_url: str | None) -> str | None:
    """The object key of a stored copy's URL (``.../products/{id}/{hash}.{ext}``)."""
    marker = f"/products/{product_id}/"
    if copy_url is None or marker not in copy_url:
        return None
    return copy_url[copy_url.rindex(marker) + 1:]


def _json_or_none(value: dict | None) -> Json | None:
    return None if value is None else Json(value)


def record_image_failure(product_id: int, url: str, failure: ImageFailure) -> bool:
    """Mark ``url`` failed for good on the product, if the product still has it uncopied
    (``product.image.failed``)."""
    return _change_image(
        product_id, url, EventType.IMAGE_FAILED,
        "image_failures = image_failures || jsonb_build_object(%s::text, %s::jsonb)",
        (url, Json(failure.to_json())),
        "EXISTS (SELECT 1 FROM unnest(product_images, compressed_product_images)"
        "   AS image(source, copy) WHERE source = %s AND copy IS NULL)", (url,))


def has_copy(product_id: int, url: str) -> bool:
    """Whether the product has ``url`` with a stored copy: a failing job for it was a
    re-render, which leaves the ready set and ``image_status`` as they were."""
    cursor = db.execute_sql(
        "SELECT 1 FROM products, unnest(product_images, compressed_product_images)"
        "   AS image(source, copy) WHERE id = %s AND source = %s AND copy IS NOT NULL LIMIT 1",
        (product_id, url))
    return cursor.fetchone() is not None


def clear_image_failure(product_id: int, url: str) -> bool:
    """Make a failed image pending again (a replayed dead letter): ``product.updated``."""
    return _change_image(product_id, url, EventType.UPDATED,
                         "image_failures = image_failures - %s", (url,),
                         "image_failures ? %s", (url,))


class DueImages(NamedTuple):
    """A product's source URLs whose stored set another revision made (or none: legacy)."""

    product_id: int
    urls: list[str]


_DUE_URLS = (
    "ARRAY(SELECT source FROM unnest(product_images, compressed_product_images)"
    "   WITH ORDINALITY AS image(source, copy, position)"
    "   WHERE copy IS NOT NULL AND (image_media -> source ->> 'revision') IS DISTINCT FROM %s"
    "   GROUP BY source ORDER BY min(position))")


def due_for_rerender(revision: str, *, after_id: int, limit: int,
                     product_ids: Sequence[int] | None = None) -> list[DueImages]:
    """One keyset page, by product id, of the ready images not made by ``revision``: each
    distinct URL with a copy whose record has another revision, or no record (a legacy copy).
    """
    only = "" if product_ids is None else " AND id = ANY(%s::bigint[])"
    params: list = [revision, after_id] + ([] if product_ids is None else [list(product_ids)])
    cursor = db.execute_sql(
        f"SELECT id, due FROM (SELECT id, {_DUE_URLS} AS due FROM products"
        f"   WHERE id > %s{only} ORDER BY id) AS page WHERE cardinality(due) > 0"
        " ORDER BY id LIMIT %s", (*params, limit))
    return [DueImages(*row) for row in cursor.fetchall()]


def count_due_for_rerender(revision: str, product_ids: Sequence[int] | None = None) -> int:
    """How many images :func:`due_for_rerender` would page through."""
    only = "" if product_ids is None else " WHERE id = ANY(%s::bigint[])"
    params: list = [revision] + ([] if product_ids is None else [list(product_ids)])
    cursor = db.execute_sql(
        f"SELECT coalesce(sum(cardinality({_DUE_URLS})), 0) FROM products{only}", params)
    return int(cursor.fetchone()[0])


def copy_in_use(product_id: int, copy_url: str) -> bool:
    cursor = db.execute_sql(
        "SELECT 1 FROM products WHERE id = %s AND %s = ANY(compressed_product_images)",
        (product_id, copy_url),
    )
    return cursor.fetchone() is not None


def keys_in_use(product_id: int, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` (object keys) that the product's rendition sets or copies use."""
    cursor = db.execute_sql(
        "SELECT k FROM unnest(%s::text[]) AS k, products AS p WHERE p.id = %s AND ("
        "  EXISTS (SELECT 1 FROM jsonb_each(p.image_media) AS media(source, record),"
        "          jsonb_array_elements(media.record -> 'renditions') AS rendition"
        "          WHERE right(rendition ->> 'url', length(k) + 1) = '/' || k)"
        "  OR EXISTS (SELECT 1 FROM unnest(p.compressed_product_images) AS copy"
        "             WHERE right(copy, length(k) + 1) = '/' || k))",
        (list(keys), product_id),
    )
    return {row[0] for row in cursor.fetchall()}
