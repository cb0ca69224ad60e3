"""What the product endpoints do, behind the HTTP layer: transactions, queueing, caching.

Every write commits the product and the jobs for its images in one transaction (the outbox),
then invalidates the product's cache entry, so a reader never sees a write that is not
committed and a committed write is never hidden behind an older cached copy.
"""

from __future__ import annotations

from decimal import Decimal

from core.cache import ProductCache
from core.representation import render_product
from core.unit_of_work import unit_of_work
from models.jobs import DELETE_PRODUCT_IMAGES, ProductImagesJob, job_kwargs
from models.outbox import add_image_jobs, add_job
from models.products import (
    ProductRow,
    create_product,
    delete_product,
    get_product,
    list_products,
    lock_owned_product,
    update_product,
)


class Catalog:
    """The product use cases the API offers.

    Parameters:
      cache: the read-through cache of single products, invalidated after every commit.
    """

    def __init__(self, *, cache: ProductCache) -> None:
        self._cache = cache

    def create(
        self, user_id: int, name: str, description: str | None, images: list[str],
        price: Decimal, *, request_id: str | None = None,
    ) -> ProductRow:
        # A new product has no cached copy to invalidate.
        with unit_of_work():
            product = create_product(user_id, name, description, images, price)
            add_image_jobs(product.id, list(dict.fromkeys(images)), request_id)
        return product

    def read(self, product_id: int) -> tuple[bytes | None, bool]:
        """The product's JSON and whether it came from the cache (None: no such product)."""
        def load() -> bytes | None:
            row = get_product(product_id)
            return render_product(row) if row else None

        return self._cache.read(product_id, load)

    def update(self, product_id: int, user_id: int, changes: dict, *,
               request_id: str | None = None) -> ProductRow:
        with unit_of_work(self._cache) as work:
            product = lock_owned_product(product_id, user_id)
            updated, to_queue = update_product(product, changes)
            add_image_jobs(product_id, to_queue, request_id)
            work.invalidate(product_id)
        return updated

    def delete(self, product_id: int, user_id: int) -> None:
        with unit_of_work(self._cache) as work:
            delete_product(lock_owned_product(product_id, user_id))
            # Copies are removed in the background, once the deletion is committed.
            add_job(DELETE_PRODUCT_IMAGES, job_kwargs(ProductImagesJob(product_id)))
            work.invalidate(product_id)

    def page(
        self,
        user_id: int,
        *,
        min_price: Decimal | None,
        max_price: Decimal | None,
        name: str | None,
        before_id: int | None,
        limit: int,
    ) -> list[ProductRow]:
        return list_products(
            user_id, min_price=min_price, max_price=max_price, name=name,
            before_id=before_id, limit=limit,
        )

