"""Building a worker process: settings, logging, database, broker, pipeline, actors.

The broker is built before any actor is declared, as Dramatiq requires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dramatiq
from dramatiq.middleware.prometheus import Prometheus

from core.cache import ProductCache, cache_from_settings
from core.logs import configure_logging
from core.settings import Settings, ladder_widths, load_or_exit
from jobs.actors import Actors, declare_actors
from jobs.background import BackgroundLoops
from jobs.broker import JOB_TIME_LIMIT_MS, build_broker, check_queue_types, worker_middleware
from jobs.errors import StorageUnavailable
from jobs.fetch import FetchLimits
from jobs.ladder import LadderOptions
from jobs.metrics import ImageMetrics
from jobs.pipeline import ImagePipeline
from jobs.relay import OutboxRelay
from jobs.retention import events_pruner
from jobs.source_slots import SourceSlots
from jobs.storage import store_from_settings
from jobs.webhooks import (
    SharedThreadsWarning,
    declare_delivery_actor,
    deliverer_from_settings,
    webhook_loops,
)
from models.db import bind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    broker: dramatiq.Broker
    pipeline: ImagePipeline
    actors: Actors


def ladder_options(settings: Settings) -> LadderOptions:
    """The renditions the settings ask for: what the worker makes, and so the revision that
    ``jobs.rerender`` compares (one function, so the two can never differ)."""
    return LadderOptions(
        # from_env made the widths end at the maximum; a Settings built directly may not have.
        widths=ladder_widths(tuple(width for width in settings.image_widths
                                   if width < settings.image_max_dimension),
                             settings.image_max_dimension),
        formats=settings.image_formats,
        required=settings.image_format, quality=settings.image_quality,
        quality_mode=settings.image_quality_mode, quality_target=settings.image_quality_target,
        chroma=settings.image_chroma,
        max_dimension=settings.image_max_dimension, max_pixels=settings.image_max_pixels,
        # A quarter of the job's time limit: the download (25 s at most) and the required
        # format always fit in the rest.
        extra_seconds=JOB_TIME_LIMIT_MS / 1000 / 4,
    )


def build_pipeline(settings: Settings, *, cache: ProductCache,
                   metrics: ImageMetrics) -> ImagePipeline:
    limits = FetchLimits(
        max_bytes=settings.image_max_bytes,
        connect_timeout=settings.image_fetch_connect_timeout,
        total_timeout=settings.image_fetch_total_timeout,
        allow_private=settings.image_fetch_allow_private,
        min_rate=settings.image_fetch_min_rate,
    )
    store = store_from_settings(settings)
    try:
        store.ensure_bucket()
    except StorageUnavailable as error:
        # Jobs retry until the store answers; refusing to start would not help.
        logger.warning("object store unavailable at start: %s", error)
    # One per process: the limit counts the downloads of all this process's threads.
    slots = SourceSlots(per_source=settings.image_fetch_per_host)
    return ImagePipeline(limits=limits, ladder=ladder_options(settings), store=store,
                         cache=cache, metrics=metrics, slots=slots,
                         grace_days=settings.rerender_grace_days)


def runtime_middleware(settings: Settings, *, cache: ProductCache, metrics: ImageMetrics,
                       relay_in_worker: bool = True) -> list[dramatiq.Middleware]:
    """The worker's middleware, in order, one of each type (dramatiq warns of a second)."""
    # ImageMetrics stands before Prometheus: "after" hooks run in reverse order, and its
    # counters need the multiprocess directory that Prometheus sets up at process boot.
    middleware = [*worker_middleware(settings, cache=cache, metrics=metrics), metrics,
                  Prometheus()]
    if relay_in_worker:
        middleware.append(OutboxRelay())
    middleware.append(BackgroundLoops({**events_pruner(settings.events_retention_days),
                                       **webhook_loops(settings)}))
    middleware.append(SharedThreadsWarning())
    return middleware


def build_runtime(settings: Settings | None = None, *, relay_in_worker: bool = True) -> Runtime:
    if settings is None:
        settings = load_or_exit()
    configure_logging(settings.log_level)
    bind(settings.database_url)
    metrics = ImageMetrics()
    cache = cache_from_settings(settings)
    pipeline = build_pipeline(settings, cache=cache, metrics=metrics)
    broker = build_broker(settings, middleware=runtime_middleware(
        settings, cache=cache, metrics=metrics, relay_in_worker=relay_in_worker))
    actors = declare_actors(broker, pipeline)
    # On its own queue (docs/api.md): `dramatiq jobs.worker` consumes every declared queue,
    # and `--queues webhooks` gives deliveries worker processes of their own.
    declare_delivery_actor(broker, deliverer_from_settings(settings))
    check_queue_types(broker, settings.rabbitmq_queue_type)
    return Runtime(settings, broker, pipeline, actors)

