"""tests/support/environment.py: what a child process reads back is the settings it was given."""

from __future__ import annotations

import dataclasses

from core.settings import Settings, from_env
from tests.support.environment import settings_env
from tests.support.settings_names import known_names


def test_every_setting_survives_the_trip_through_the_environment():
    changed = Settings(
        database_url="postgresql://u@db:1/d", broker_url="amqp://b:2/v", redis_url="redis://r:3/4",
        database_direct_url="postgresql://u@direct:1/d", redis_cluster=True,
        s3_endpoint="s3:5", s3_secure=True, s3_bucket="b", s3_access_key="k", s3_secret_key="s",
        s3_public_url="https://cdn/b", cache_enabled=False, cache_ttl_seconds=7,
        image_max_bytes=8, image_max_pixels=9, image_max_dimension=900, image_format="webp",
        image_widths=(100, 900), image_formats=("webp", "jpeg"),
        image_quality=11, image_max_retries=0, image_retry_min_backoff_ms=12,
        image_retry_max_backoff_ms=13, image_fetch_connect_timeout=1.5,
        image_fetch_total_timeout=2.5, image_fetch_allow_private=True, image_fetch_min_rate=14,
        image_fetch_per_host=3, rerender_grace_days=0, events_retention_days=3,
        webhook_retry_schedule=(1, 0, 2), webhook_disable_after=4,
        webhook_lease_seconds=2.5,
        events_port=8091, events_public_url="https://events.example",
        events_cors_origins=("https://shop.example", "http://a:1"),
        stream_token_ttl_seconds=5, events_heartbeat_seconds=0.5, events_poll_seconds=0.25,
        image_quality_mode="target", image_quality_target=66.5, image_chroma="4:4:4",
        rate_limit_writes_per_minute=15,
        rate_limit_signups_per_minute=0,
        trusted_proxies=("10.0.0.0/8", "192.0.2.7/32"), rabbitmq_queue_type="quorum",
        api_key_secret="x" * 40, operator_token="o" * 20,
        log_level="DEBUG")
    assert {f.name for f in dataclasses.fields(Settings) if getattr(changed, f.name)
            == getattr(Settings(), f.name)} == {"port"}  # every other field is off its default

    assert from_env(settings_env(changed)) == changed
    assert set(settings_env(changed)) <= known_names()


def test_secrets_stay_out_of_the_settings_repr():
    settings = Settings(api_key_secret="k" * 40, s3_secret_key="s3-secret-value",
                        operator_token="t" * 20)

    shown = repr(settings)

    assert "k" * 40 not in shown and "s3-secret-value" not in shown and "t" * 20 not in shown
