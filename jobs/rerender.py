"""Re-rendering (docs/api.md): queue every ready image that other settings made, and
remove the objects of replaced sets once their grace period has passed.

    python -m jobs.rerender [--dry-run] [--limit N] [--product ID...]
                            [--no-cleanup | --cleanup-only] [--batch-size N]

An image is due when its record's revision differs from the current settings' (the one the
worker computes from the same :func:`jobs.runtime.ladder_options`), or when it is a legacy
copy without a record. Its job goes through the outbox like any other; the worker renders
the new set and replaces the old one in one write, retiring the old objects for
``RERENDER_GRACE_DAYS``. Nothing here changes a product, so stopping at any point and running
again is safe: an image queued twice is rendered once, the second job finding it current.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from core.logs import configure_logging
from core.settings import Settings, load_or_exit
from core.unit_of_work import unit_of_work
from jobs.revision import settings_revision
from jobs.runtime import ladder_options
from jobs.storage import ImageStore, store_from_settings
from models.db import bind, release
from models.outbox import add_image_jobs
from models.products import count_due_for_rerender, due_for_rerender, keys_in_use
from models.retired import count_due, forget, take_due

BATCH_SIZE = 100


@dataclass
class Summary:
    revision: str
    dry_run: bool
    images: int = 0
    products: int = 0
    removed: int | None = None  # None: cleanup skipped

    def line(self) -> str:
        verb = "would queue" if self.dry_run else "queued"
        text = (f"rerender: {verb} {self.images} image(s) of {self.products} product(s)"
                f" for revision {self.revision}")
        if self.removed is not None:
            text += (f"; {self.removed} retired object(s) "
                     + ("due for removal" if self.dry_run else "removed"))
        return text


class Progress:
    """A one-line bar on a terminal (stderr); nothing when it is not one."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total = total
        self._stream = stream
        self._shown = False

    def show(self, done: int) -> None:
        filled = self.WIDTH * done // self._total if self._total else self.WIDTH
        self._stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}]"
                           f" {done}/{self._total} images")
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()


def queue_due(revision: str, *, dry_run: bool, limit: int | None,
              product_ids: Sequence[int] | None, batch_size: int = BATCH_SIZE,
              progress: Progress | None = None, summary: Summary) -> None:
    """Queue (or only count) the due images, one keyset page of products per transaction."""
    request_id = f"rerender-{uuid.uuid4()}"  # ties the jobs' log lines to this run
    after_id = 0
    while limit is None or summary.images < limit:
        with unit_of_work():
            page = due_for_rerender(revision, after_id=after_id, limit=batch_size,
                                    product_ids=product_ids)
            for due in page:
                urls = due.urls if limit is None else due.urls[:limit - summary.images]
                if not urls:
                    break
                if not dry_run:
                    add_image_jobs(due.product_id, urls, request_id)
                summary.images += len(urls)
                summary.products += 1
        if progress is not None:
            progress.show(summary.images)
        if len(page) < batch_size:
            return
        after_id = page[-1].product_id


def remove_retired(store: ImageStore, *, batch_size: int = BATCH_SIZE) -> int:
    """Remove the retired objects whose time has come: the objects first, then their rows,
    one batch per transaction; another cleanup's rows, and products a worker is recording a
    set for, are left for later. Returns how many objects were removed."""
    removed = 0
    while True:
        with unit_of_work():
            due = take_due(batch_size)
            if not due:
                return removed
            by_product: dict[int, list[str]] = {}
            for row in due:
                by_product.setdefault(row.product_id, []).append(row.key)
            # A key a later set uses again (keys are content hashes) only loses its row.
            gone = [key for product_id, keys in by_product.items()
                    for key in set(keys) - keys_in_use(product_id, keys)]
            store.remove(gone)
            forget([row.key for row in due])
        removed += len(gone)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m jobs.rerender", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true",
                        help="count what is due; queue and remove nothing")
    parser.add_argument("--limit", type=_positive, metavar="N",
                        help="queue at most N images")
    parser.add_argument("--product", type=_positive, nargs="+", metavar="ID", dest="products",
                        help="only these products")
    cleanup = parser.add_mutually_exclusive_group()
    cleanup.add_argument("--no-cleanup", action="store_true",
                         help="do not remove retired objects")
    cleanup.add_argument("--cleanup-only", action="store_true",
                         help="only remove retired objects whose grace period has passed")
    parser.add_argument("--batch-size", type=_positive, default=BATCH_SIZE, metavar="N",
                        help=f"products per transaction (default {BATCH_SIZE})")
    args = parser.parse_args(argv)
    if args.cleanup_only and (args.limit is not None or args.products):
        parser.error("--cleanup-only takes neither --limit nor --product")
    return args


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    args = parse_args(argv)
    if settings is None:
        settings = load_or_exit()
    configure_logging("WARNING")
    bind(settings.database_url, max_connections=2)
    summary = Summary(settings_revision(ladder_options(settings)), args.dry_run)
    if not args.cleanup_only:
        progress = None
        if sys.stderr.isatty():
            total = count_due_for_rerender(summary.revision, args.products)
            release()
            progress = Progress(total if args.limit is None else min(total, args.limit),
                                sys.stderr)
        try:
            queue_due(summary.revision, dry_run=args.dry_run, limit=args.limit,
                      product_ids=args.products, batch_size=args.batch_size,
                      progress=progress, summary=summary)
        finally:
            if progress is not None:
                progress.close()
    if not args.no_cleanup:
        if args.dry_run:
            summary.removed = count_due()
            release()
        else:
            summary.removed = remove_retired(store_from_settings(settings),
                                             batch_size=args.batch_size)
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
