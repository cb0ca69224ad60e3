"""Every setting of the system, read once from the environment into one frozen object.

Entry points call :func:`from_env` and pass the result down; libraries and tests never read
the environment themselves, and tests build ``Settings(...)`` directly. A bad value raises
:class:`SettingsError` naming the variable, which entry points turn into one line and exit 2.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

#: Used when API_KEY_SECRET is unset, so development needs no setup; start-up warns about it.
DEVELOPMENT_API_KEY_SECRET = "development-only-api-key-secret"

T = TypeVar("T")


class SettingsError(ValueError):
    """A variable has a value the system cannot run with."""


@dataclass(frozen=True)
class Settings:
    """The system's configuration (docs/api.md); durations in seconds unless named _ms."""

    database_url: str = "postgresql://postgres@127.0.0.1:5432/product_management"
    #: Where migrations and the seeding command's lock connect when database_url is a
    #: transaction pooler (PgBouncer), which cannot hold their session state; "": database_url.
    database_direct_url: str = ""
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    redis_url: str = "redis://127.0.0.1:6379/0"
    #: Redis Cluster (docs/api.md): also implied by a redis+cluster:// REDIS_URL.
    redis_cluster: bool = False
    s3_endpoint: str = "127.0.0.1:9000"
    s3_secure: bool = False
    s3_bucket: str = "product-images"
    s3_access_key: str = "minioadmin"
    s3_secret_key: str = dataclasses.field(default="minioadmin", repr=False)
    s3_public_url: str = "http://127.0.0.1:9000/product-images"
    cache_enabled: bool = True
    cache_ttl_seconds: int = 300
    image_max_bytes: int = 20 * 1024 * 1024
    image_max_pixels: int = 50_000_000
    image_max_dimension: int = 1600
    image_format: str = "jpeg"
    #: The rendition ladder (docs/api.md): widths, smallest first, the largest always
    #: image_max_dimension; every format in image_formats at each width.
    image_widths: tuple[int, ...] = (320, 640, 1024, 1600)
    image_formats: tuple[str, ...] = ("avif", "webp", "jpeg")
    image_quality: int = 80
    image_max_retries: int = 5
    image_retry_min_backoff_ms: int = 5_000
    image_retry_max_backoff_ms: int = 300_000
    image_fetch_connect_timeout: float = 3.0
    image_fetch_total_timeout: float = 25.0
    image_fetch_allow_private: bool = False
    image_fetch_min_rate: int = 1024  # bytes/s averaged after the first 5 s; 0: no minimum
    image_fetch_per_host: int = 2  # downloads at once per source in each worker process
    #: Days a replaced rendition set's objects stay after a re-render (clients may hold
    #: their immutable URLs); 0: removable at the next cleanup.
    rerender_grace_days: int = 7
    #: Days events are kept for the feed (docs/api.md); older ones are pruned.
    events_retention_days: int = 7
    #: Seconds before each retry of a failed webhook delivery (docs/api.md); once they are
    #: spent the delivery is failed.
    webhook_retry_schedule: tuple[int, ...] = (30, 120, 600, 3600, 21600, 86400)
    #: Failed deliveries in a row that disable a webhook endpoint.
    webhook_disable_after: int = 50
    #: Seconds a delivery handed to a worker stays leased to it; a worker lost with it (or
    #: its message lost with the broker) makes it due again once this runs out. Below the
    #: 10 s attempt, a slow receiver may get the same attempt again (same webhook-id).
    webhook_lease_seconds: float = 60.0
    #: The live events stream's port (docs/api.md), a process of its own.
    events_port: int = 8090
    #: The stream's URL as browsers reach it (the console opens its EventSource there);
    #: "": http://127.0.0.1:events_port. See stream_url.
    events_public_url: str = ""
    #: Origins whose pages may open the stream (CORS); none by default.
    events_cors_origins: tuple[str, ...] = ()
    #: Seconds a stream token from POST /users/{id}/stream-tokens stays good.
    stream_token_ttl_seconds: int = 600
    #: Seconds between the comment lines that keep an idle stream open through proxies.
    events_heartbeat_seconds: float = 15.0
    #: Seconds between the stream process's reads of the events table while streams are
    #: open: what a missed wake-up costs at most.
    events_poll_seconds: float = 5.0
    #: How renditions pick their encoder quality: "fixed" (image_quality) or "target" (the
    #: lowest quality whose perceptual score reaches image_quality_target).
    image_quality_mode: str = "fixed"
    #: The score target mode aims for, on the SSIMULACRA2 scale (0-100, higher is better).
    image_quality_target: float = 70.0
    #: The colour resolution of the JPEG and AVIF renditions: "4:2:0" (half, the codecs'
    #: default) or "4:4:4" (full, at a lower encoder quality for about the same bytes).
    image_chroma: str = "4:2:0"
    rate_limit_writes_per_minute: int = 600  # per API key; 0: off
    rate_limit_signups_per_minute: int = 20  # per client address; 0: off
    #: How the project's RabbitMQ queues are declared: classic, or quorum (replicated).
    rabbitmq_queue_type: str = "classic"
    #: Proxies whose X-Forwarded-For is believed (addresses or networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Secrets stay out of repr, so a logged or printed Settings cannot leak them.
    api_key_secret: str = dataclasses.field(default=DEVELOPMENT_API_KEY_SECRET, repr=False)
    #: The operators' bearer token of /admin and the console's operator view (docs/api.md);
    #: "" turns them off (404), never open.
    operator_token: str = dataclasses.field(default="", repr=False)
    log_level: str = "INFO"
    port: int = 8080

    @property
    def broker_urls(self) -> tuple[str, ...]:
        """``broker_url``'s AMQP URLs: the nodes of one RabbitMQ cluster, in the order
        clients try them."""
        return tuple(url.strip() for url in self.broker_url.split(",") if url.strip())

    @property
    def direct_database_url(self) -> str:
        """The URL of a direct PostgreSQL session, for work that needs session state."""
        return self.database_direct_url or self.database_url

    @property
    def stream_url(self) -> str:
        """Where browsers open the live stream: ``events_public_url``, or this machine's."""
        return self.events_public_url or f"http://127.0.0.1:{self.events_port}"

    @property
    def uses_redis_cluster(self) -> bool:
        return self.redis_cluster or self.redis_url.startswith("redis+cluster://")

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and benchmarks derive variants this way)."""
        return dataclasses.replace(self, **changes)

    @property
    def uses_development_secret(self) -> bool:
        return self.api_key_secret == DEVELOPMENT_API_KEY_SECRET


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError("expected a positive number")
    return value


def _integer_from(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"expected an integer from {low} to {high}")
        return value

    return parse


_quality = _integer_from(1, 100)
_port = _integer_from(1, 65535)


def _image_format(text: str) -> str:
    value = text.strip().lower()
    if value not in ("jpeg", "webp"):
        raise ValueError("expected jpeg or webp")
    return value


#: Formats a rendition may be encoded in (IMAGE_FORMATS); IMAGE_FORMAT is one of them.
RENDITION_FORMATS = ("avif", "webp", "jpeg")
#: The narrowest rendition width a ladder may ask for.
MIN_WIDTH = 16


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",")
                                  if part.strip()))
    unknown = [name for name in formats if name not in RENDITION_FORMATS]
    if unknown or not formats:
        raise ValueError(f"expected a comma-separated list of {', '.join(RENDITION_FORMATS)}")
    return formats


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = {int(part) for part in text.split(",") if part.strip()}
    except ValueError:
        raise ValueError("expected comma-separated integers") from None
    if not widths:
        raise ValueError("expected at least one width")
    return tuple(sorted(widths))


def ladder_widths(widths: tuple[int, ...], max_dimension: int) -> tuple[int, ...]:
    """The ladder's widths, smallest first, with ``max_dimension`` always the largest (docs/api.md
    ); raises ValueError for a width outside MIN_WIDTH..max_dimension."""
    outside = [width for width in widths if not MIN_WIDTH <= width <= max_dimension]
    if outside:
        raise ValueError(f"expected widths from {MIN_WIDTH} to IMAGE_MAX_DIMENSION "
                         f"({max_dimension}), got {outside[0]}")
    return tuple(sorted({*widths, max_dimension}))


def _queue_type(text: str) -> str:
    value = text.strip().lower()
    if value not in ("classic", "quorum"):
        raise ValueError("expected classic or quorum")
    return value


def _quality_mode(text: str) -> str:
    value = text.strip().lower()
    if value not in ("fixed", "target"):
        raise ValueError("expected fixed or target")
    return value


def _chroma(text: str) -> str:
    value = text.strip()
    if value not in ("4:2:0", "4:4:4"):
        raise ValueError("expected 4:2:0 or 4:4:4")
    return value


def _score(text: str) -> float:
    value = float(text)
    if not 0 < value <= 100:
        raise ValueError("expected a score above 0 and at most 100")
    return value


def _origins(text: str) -> tuple[str, ...]:
    """Comma-separated origins (``https://shop.example``), or ``*`` for any."""
    origins = tuple(dict.fromkeys(part.strip().rstrip("/") for part in text.split(",")
                                  if part.strip()))
    for origin in origins:
        if origin != "*" and (origin.split("://", 1)[0] not in ("http", "https")
                              or "://" not in origin or "/" in origin.split("://", 1)[1]):
            raise ValueError("expected comma-separated origins like https://shop.example, or *")
    return origins


def _operator_token(text: str) -> str:
    # Guessable tokens would open the operators' endpoints to anyone who tries a few.
    if len(text.strip()) < 16:
        raise ValueError("expected at least 16 characters (e.g. `openssl rand -hex 32`)")
    return text.strip()


def _log_level(text: str) -> str:
    value = text.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return value


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.split("://", 1)[0] not in schemes or "://" not in text:
            expected = " or ".join(scheme + "://" for scheme in schemes)
            raise ValueError(f"expected a URL starting with {expected}")
        return text

    return parse


def _url_list(*schemes: str) -> Callable[[str], str]:
    """Comma-separated URLs, each one of ``schemes``: kept as the text, read by its users."""
    one = _url(*schemes)

    def parse(text: str) -> str:
        urls = [part.strip() for part in text.split(",") if part.strip()]
        if not urls:
            raise ValueError("expected at least one URL")
        for url in urls:
            one(url)
        return ",".join(urls)

    return parse


def _non_empty(text: str) -> str:
    if not text.strip():
        raise ValueError("expected a non-empty value")
    return text


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every variable of docs/api.md; the real environment wins over ``.env``.

    Parameters:
      environ: the variables to read; by default ``.env`` (when present) under ``os.environ``.
    """
    if environ is None:
        from dotenv import dotenv_values

        environ = {**{k: v for k, v in dotenv_values(".env").items() if v is not None},
                   **os.environ}
    env = environ
    defaults = Settings()

    def read(name: str, parse: Callable[[str], T], default: T) -> T:
        raw = env.get(name)
        if raw is None or raw == "":
            return default
        try:
            return parse(raw)
        except ValueError as error:
            raise SettingsError(f"{name}: {error}") from None

    def split_database_url() -> str:
        user = quote(env.get("DB_USER", "postgres"), safe="")
        password = env.get("DB_PASSWORD", "")
        auth = user + (":" + quote(password, safe="") if password else "")
        host = env.get("DB_HOST", "127.0.0.1")
        port = read("DB_PORT", _port, 5432)
        name = env.get("DB_NAME", "product_management")
        return f"postgresql://{auth}@{host}:{port}/{name}"

    max_dimension = read("IMAGE_MAX_DIMENSION", _positive_int, defaults.image_max_dimension)
    image_format = read("IMAGE_FORMAT", _image_format, defaults.image_format)
    image_formats = read("IMAGE_FORMATS", _formats, defaults.image_formats)
    if image_format not in image_formats:
        raise SettingsError(f"IMAGE_FORMATS: must include IMAGE_FORMAT ({image_format})")
    # The default ladder tops out at the default maximum: it follows a smaller maximum down.
    widths = read("IMAGE_WIDTHS", _widths, tuple(
        width for width in defaults.image_widths if width < max_dimension))
    try:
        image_widths = ladder_widths(widths, max_dimension)
    except ValueError as error:
        raise SettingsError(f"IMAGE_WIDTHS: {error}") from None

    queue_host = env.get("QUEUE_HOST") or "127.0.0.1"
    cache_host = env.get("CACHE_HOST") or "127.0.0.1"
    return Settings(
        database_url=read("DATABASE_URL", _url("postgresql", "postgres"), split_database_url()),
        broker_url=read("BROKER_URL", _url_list("amqp", "amqps"),
                        f"amqp://guest:guest@{queue_host}:5672/%2F"),
        database_direct_url=read("DATABASE_DIRECT_URL", _url("postgresql", "postgres"), ""),
        redis_url=read("REDIS_URL", _url("redis", "rediss", "unix", "redis+cluster"),
                       f"redis://{cache_host}:6379/0"),
        redis_cluster=read("REDIS_CLUSTER", _boolean, defaults.redis_cluster),
        s3_endpoint=read("S3_ENDPOINT", _non_empty, defaults.s3_endpoint),
        s3_secure=read("S3_SECURE", _boolean, defaults.s3_secure),
        s3_bucket=read("AWS_S3_BUCKET", _non_empty, defaults.s3_bucket),
        s3_access_key=read("AWS_ACCESS_KEY_ID", _non_empty, defaults.s3_access_key),
        s3_secret_key=read("AWS_SECRET_ACCESS_KEY", _non_empty, defaults.s3_secret_key),
        s3_public_url=read("S3_PUBLIC_URL", _url("http", "https"), "").rstrip("/")
        or _default_public_url(env, defaults),
        cache_enabled=read("CACHE_ENABLED", _boolean, defaults.cache_enabled),
        cache_ttl_seconds=read("CACHE_TTL_SECONDS", _positive_int, defaults.cache_ttl_seconds),
        image_max_bytes=read("IMAGE_MAX_BYTES", _positive_int, defaults.image_max_bytes),
        image_max_pixels=read("IMAGE_MAX_PIXELS", _positive_int, defaults.image_max_pixels),
        image_max_dimension=max_dimension,
        image_format=image_format,
        image_widths=image_widths,
        image_formats=image_formats,
        image_quality=read("IMAGE_QUALITY", _quality, defaults.image_quality),
        image_max_retries=read("IMAGE_MAX_RETRIES", _non_negative_int,
                               defaults.image_max_retries),
        image_retry_min_backoff_ms=read("IMAGE_RETRY_MIN_BACKOFF_MS", _positive_int,
                                        defaults.image_retry_min_backoff_ms),
        image_retry_max_backoff_ms=read("IMAGE_RETRY_MAX_BACKOFF_MS", _positive_int,
                                        defaults.image_retry_max_backoff_ms),
        image_fetch_connect_timeout=read("IMAGE_FETCH_CONNECT_TIMEOUT", _positive_float,
                                         defaults.image_fetch_connect_timeout),
        image_fetch_total_timeout=read("IMAGE_FETCH_TOTAL_TIMEOUT", _positive_float,
                                       defaults.image_fetch_total_timeout),
        image_fetch_allow_private=read("IMAGE_FETCH_ALLOW_PRIVATE", _boolean,
                                       defaults.image_fetch_allow_private),
        image_fetch_min_rate=read("IMAGE_FETCH_MIN_RATE", _non_negative_int,
                                  defaults.image_fetch_min_rate),
        image_fetch_per_host=read("IMAGE_FETCH_PER_HOST", _positive_int,
                                  defaults.image_fetch_per_host),
        rerender_grace_days=read("RERENDER_GRACE_DAYS", _non_negative_int,
                                 defaults.rerender_grace_days),
        events_retention_days=read("EVENTS_RETENTION_DAYS", _positive_int,
                                   defaults.events_retention_days),
        webhook_retry_schedule=read("WEBHOOK_RETRY_SCHEDULE", _seconds_list,
                                    defaults.webhook_retry_schedule),
        webhook_disable_after=read("WEBHOOK_DISABLE_AFTER", _positive_int,
                                   defaults.webhook_disable_after),
        webhook_lease_seconds=read("WEBHOOK_LEASE_SECONDS", _positive_float,
                                   defaults.webhook_lease_seconds),
        events_port=read("EVENTS_PORT", _port, defaults.events_port),
        events_public_url=read("EVENTS_PUBLIC_URL", _url("http", "https"), "").rstrip("/"),
        events_cors_origins=read("EVENTS_CORS_ORIGINS", _origins, defaults.events_cors_origins),
        stream_token_ttl_seconds=read("STREAM_TOKEN_TTL_SECONDS", _positive_int,
                                      defaults.stream_token_ttl_seconds),
        events_heartbeat_seconds=read("EVENTS_HEARTBEAT_SECONDS", _positive_float,
                                      defaults.events_heartbeat_seconds),
        events_poll_seconds=read("EVENTS_POLL_SECONDS", _positive_float,
                                 defaults.events_poll_seconds),
        image_quality_mode=read("IMAGE_QUALITY_MODE", _quality_mode, defaults.image_quality_mode),
        image_quality_target=read("IMAGE_QUALITY_TARGET", _score, defaults.image_quality_target),
        image_chroma=read("IMAGE_CHROMA", _chroma, defaults.image_chroma),
        rate_limit_writes_per_minute=read("RATE_LIMIT_WRITES_PER_MINUTE", _non_negative_int,
                                          defaults.rate_limit_writes_per_minute),
        rate_limit_signups_per_minute=read("RATE_LIMIT_SIGNUPS_PER_MINUTE", _non_negative_int,
                                           defaults.rate_limit_signups_per_minute),
        trusted_proxies=read("TRUSTED_PROXIES", _networks, defaults.trusted_proxies),
        rabbitmq_queue_type=read("RABBITMQ_QUEUE_TYPE", _queue_type,
                                 defaults.rabbitmq_queue_type),
        api_key_secret=read("API_KEY_SECRET", _non_empty, defaults.api_key_secret),
        operator_token=read("OPERATOR_TOKEN", _operator_token, defaults.operator_token),
        log_level=read("LOG_LEVEL", _log_level, defaults.log_level),
        port=read("PORT", _port, defaults.port),
    )


def load_or_exit() -> Settings:
    """:func:`from_env` for entry points: a bad value ends the process with one line."""
    try:
        return from_env()
    except SettingsError as error:
        raise SystemExit(f"configuration error: {error}") from None


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("expected an integer of 0 or more")
    return value


def _seconds_list(text: str) -> tuple[int, ...]:
    """Comma-separated whole seconds, 0 or more each, at least one."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ValueError("expected comma-separated seconds")
    try:
        return tuple(_non_negative_int(part) for part in parts)
    except ValueError:
        raise ValueError("expected comma-separated whole seconds, each 0 or more") from None


def _networks(text: str) -> tuple[str, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8``), each normalized."""
    networks = []
    for part in text.split(","):
        if part.strip():
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
    return tuple(networks)


def _default_public_url(env: Mapping[str, str], defaults: Settings) -> str:
    endpoint = env.get("S3_ENDPOINT") or defaults.s3_endpoint
    secure = _boolean(env["S3_SECURE"]) if env.get("S3_SECURE") else defaults.s3_secure
    bucket = env.get("AWS_S3_BUCKET") or defaults.s3_bucket
    return f"{'https' if secure else 'http'}://{endpoint}/{bucket}"
