"""One unit of work: commit, return the connection, then invalidate what changed.

The order is the point. A reader must never see a write that is not committed, so the
cache is invalidated only after the commit; and the connection goes back to the pool before
Redis is called, so a slow cache never holds a database connection. Nothing is invalidated
when the block raises: the transaction rolled back, and the cached copy is still right.

    with unit_of_work(cache) as work:
        write_copy(product_id, url, copy_url)
        work.invalidate(product_id)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.cache import ProductCache
from models.db import db, release


class UnitOfWork:
    """Collects the products whose cached copies the transaction makes stale."""

    def __init__(self) -> None:
        self.product_ids: list[int] = []

    def invalidate(self, product_id: int) -> None:
        """Drop the product's cached copy once the transaction has committed."""
        if product_id not in self.product_ids:
            self.product_ids.append(product_id)


@contextmanager
def unit_of_work(cache: ProductCache | None = None) -> Iterator[UnitOfWork]:
    """One transaction, the connection released whatever happens, then the invalidations.

    Parameters:
      cache: the product cache; None for work that changes no product (the outbox relay).
    """
    work = UnitOfWork()
    try:
        with db.atomic():
            yield work
    finally:
        release()
    if work.product_ids and cache is None:
        raise ValueError("a unit of work without a cache cannot invalidate products")
    for product_id in work.product_ids:
        cache.invalidate(product_id)
