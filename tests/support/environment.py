"""The environment a child process (gunicorn, a Dramatiq worker) needs to run with given
settings: the one place that maps Settings fields to the variable names from_env reads."""

from __future__ import annotations

from core.settings import Settings

# Every field but ``port``: whoever starts a server picks its port.
_NAMES = {
    "database_url": "DATABASE_URL",
    "database_direct_url": "DATABASE_DIRECT_URL",
    "broker_url": "BROKER_URL",
    "redis_url": "REDIS_URL",
    "redis_cluster": "REDIS_CLUSTER",
    "s3_endpoint": "S3_ENDPOINT",
    "s3_secure": "S3_SECURE",
    "s3_bucket": "AWS_S3_BUCKET",
    "s3_access_key": "AWS_ACCESS_KEY_ID",
    "s3_secret_key": "AWS_SECRET_ACCESS_KEY",
    "s3_public_url": "S3_PUBLIC_URL",
    "cache_enabled": "CACHE_ENABLED",
    "cache_ttl_seconds": "CACHE_TTL_SECONDS",
    "image_max_bytes": "IMAGE_MAX_BYTES",
    "image_max_pixels": "IMAGE_MAX_PIXELS",
    "image_max_dimension": "IMAGE_MAX_DIMENSION",
    "image_format": "IMAGE_FORMAT",
    "image_widths": "IMAGE_WIDTHS",
    "image_formats": "IMAGE_FORMATS",
    "image_quality": "IMAGE_QUALITY",
    "image_max_retries": "IMAGE_MAX_RETRIES",
    "image_retry_min_backoff_ms": "IMAGE_RETRY_MIN_BACKOFF_MS",
    "image_retry_max_backoff_ms": "IMAGE_RETRY_MAX_BACKOFF_MS",
    "image_fetch_connect_timeout": "IMAGE_FETCH_CONNECT_TIMEOUT",
    "image_fetch_total_timeout": "IMAGE_FETCH_TOTAL_TIMEOUT",
    "image_fetch_allow_private": "IMAGE_FETCH_ALLOW_PRIVATE",
    "image_fetch_min_rate": "IMAGE_FETCH_MIN_RATE",
    "image_fetch_per_host": "IMAGE_FETCH_PER_HOST",
    "rerender_grace_days": "RERENDER_GRACE_DAYS",
    "events_retention_days": "EVENTS_RETENTION_DAYS",
    "webhook_retry_schedule": "WEBHOOK_RETRY_SCHEDULE",
    "webhook_disable_after": "WEBHOOK_DISABLE_AFTER",
    "webhook_lease_seconds": "WEBHOOK_LEASE_SECONDS",
    "events_port": "EVENTS_PORT",
    "events_public_url": "EVENTS_PUBLIC_URL",
    "events_cors_origins": "EVENTS_CORS_ORIGINS",
    "stream_token_ttl_seconds": "STREAM_TOKEN_TTL_SECONDS",
    "events_heartbeat_seconds": "EVENTS_HEARTBEAT_SECONDS",
    "events_poll_seconds": "EVENTS_POLL_SECONDS",
    "image_quality_mode": "IMAGE_QUALITY_MODE",
    "image_quality_target": "IMAGE_QUALITY_TARGET",
    "image_chroma": "IMAGE_CHROMA",
    "rate_limit_writes_per_minute": "RATE_LIMIT_WRITES_PER_MINUTE",
    "rate_limit_signups_per_minute": "RATE_LIMIT_SIGNUPS_PER_MINUTE",
    "trusted_proxies": "TRUSTED_PROXIES",
    "rabbitmq_queue_type": "RABBITMQ_QUEUE_TYPE",
    "api_key_secret": "API_KEY_SECRET",
    "operator_token": "OPERATOR_TOKEN",
    "log_level": "LOG_LEVEL",
}


def settings_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """Every setting as its environment variable, so that a developer's .env (which the child
    reads under its environment) cannot change any of them; ``overrides`` win."""
    env = {}
    for field, name in _NAMES.items():
        value = getattr(settings, field)
        if isinstance(value, bool):
            env[name] = "true" if value else "false"
        elif isinstance(value, tuple):
            env[name] = ",".join(map(str, value))
        else:
            env[name] = str(value)
    return {**env, **overrides}
