from __future__ import annotations

import pytest

from core.settings import Settings, SettingsError, from_env


def test_defaults_point_at_local_services():
    settings = from_env({})
    assert settings == Settings(
        database_url="postgresql://postgres@127.0.0.1:5432/product_management",
        broker_url="amqp://guest:guest@127.0.0.1:5672/%2F",
        redis_url="redis://127.0.0.1:6379/0",
        s3_public_url="http://127.0.0.1:9000/product-images",
    )
    assert settings.uses_development_secret


def test_seed_names_build_the_urls():
    settings = from_env({
        "DB_HOST": "db", "DB_PORT": "6543", "DB_USER": "shop", "DB_PASSWORD": "p@ss word",
        "DB_NAME": "catalog", "QUEUE_HOST": "mq", "CACHE_HOST": "cache",
        "AWS_S3_BUCKET": "pics", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
        "S3_ENDPOINT": "minio:9000",
    })
    assert settings.database_url == "postgresql://shop:p%40ss%20word@db:6543/catalog"
    assert settings.broker_url == "amqp://guest:guest@mq:5672/%2F"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.s3_bucket == "pics" and settings.s3_public_url == "http://minio:9000/pics"


def test_full_urls_override_split_names():
    settings = from_env({"DB_HOST": "ignored", "DATABASE_URL": "postgresql://u@h/d",
                         "REDIS_URL": "redis://r:1/2", "BROKER_URL": "amqp://b"})
    assert (settings.database_url, settings.redis_url, settings.broker_url) == (
        "postgresql://u@h/d", "redis://r:1/2", "amqp://b")


@pytest.mark.parametrize(
    "name, value",
    [("CACHE_ENABLED", "maybe"), ("CACHE_TTL_SECONDS", "-5"), ("IMAGE_FORMAT", "gif"),
     ("IMAGE_QUALITY", "101"), ("PORT", "70000"), ("IMAGE_MAX_BYTES", "lots"),
     ("DATABASE_URL", "mysql://x"), ("LOG_LEVEL", "LOUD"), ("IMAGE_FETCH_TOTAL_TIMEOUT", "0"),
     ("DB_PORT", "x"), ("IMAGE_FETCH_MIN_RATE", "-1"), ("IMAGE_FETCH_MIN_RATE", "fast"),
     ("IMAGE_FETCH_PER_HOST", "0"), ("RATE_LIMIT_WRITES_PER_MINUTE", "-1"),
     ("RATE_LIMIT_SIGNUPS_PER_MINUTE", "many"), ("TRUSTED_PROXIES", "10.0.0.0/33"),
     ("TRUSTED_PROXIES", "proxy.example"), ("IMAGE_WIDTHS", "8,320"),
     ("IMAGE_WIDTHS", "320,2000"), ("IMAGE_WIDTHS", "wide"), ("IMAGE_FORMATS", "avif,gif"),
     ("IMAGE_FORMATS", " , "), ("RERENDER_GRACE_DAYS", "-1"),
     ("RERENDER_GRACE_DAYS", "week"), ("IMAGE_CHROMA", "4:2:2"), ("IMAGE_CHROMA", "444")],
)
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(SettingsError, match=f"^{name}: "):
        from_env({name: value})


def test_typed_values():
    settings = from_env({"CACHE_ENABLED": "false", "IMAGE_FORMAT": "WEBP",
                         "IMAGE_FETCH_ALLOW_PRIVATE": "1", "API_KEY_SECRET": "s3cret"})
    assert settings.cache_enabled is False and settings.image_format == "webp"
    assert settings.image_fetch_allow_private is True and not settings.uses_development_secret


def test_fetch_min_rate():
    assert from_env({}).image_fetch_min_rate == 1024
    assert from_env({"IMAGE_FETCH_MIN_RATE": "4096"}).image_fetch_min_rate == 4096
    assert from_env({"IMAGE_FETCH_MIN_RATE": "0"}).image_fetch_min_rate == 0  # no minimum


def test_rerender_grace_days():
    assert from_env({}).rerender_grace_days == 7
    assert from_env({"RERENDER_GRACE_DAYS": "30"}).rerender_grace_days == 30
    assert from_env({"RERENDER_GRACE_DAYS": "0"}).rerender_grace_days == 0  # next cleanup


def test_limits_and_trusted_proxies():
    defaults = from_env({})
    assert (defaults.rate_limit_writes_per_minute, defaults.rate_limit_signups_per_minute,
            defaults.image_fetch_per_host, defaults.trusted_proxies) == (600, 20, 2, ())
    settings = from_env({"RATE_LIMIT_WRITES_PER_MINUTE": "0",
                         "TRUSTED_PROXIES": " 10.1.2.3/8, ::1 ,"})
    assert settings.rate_limit_writes_per_minute == 0  # off
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1/128")


def test_the_ladder_always_tops_out_at_the_maximum_dimension():
    assert from_env({}).image_widths == (320, 640, 1024, 1600)
    assert from_env({"IMAGE_WIDTHS": "640, 100,640"}).image_widths == (100, 640, 1600)
    # the default widths follow a smaller maximum down
    assert from_env({"IMAGE_MAX_DIMENSION": "800"}).image_widths == (320, 640, 800)
    with pytest.raises(SettingsError, match="^IMAGE_WIDTHS: .*1024"):
        from_env({"IMAGE_MAX_DIMENSION": "800", "IMAGE_WIDTHS": "320,1024"})


def test_image_format_must_be_one_of_the_ladders_formats():
    assert from_env({}).image_formats == ("avif", "webp", "jpeg")
    assert from_env({"IMAGE_FORMATS": "WEBP,jpeg,webp"}).image_formats == ("webp", "jpeg")
    with pytest.raises(SettingsError, match="^IMAGE_FORMATS: .*IMAGE_FORMAT"):
        from_env({"IMAGE_FORMATS": "avif,webp"})


def test_broker_url_may_list_the_nodes_of_a_cluster():
    settings = from_env({"BROKER_URL": " amqp://a:5672/v , amqps://b:5671/v,"})
    assert settings.broker_url == "amqp://a:5672/v,amqps://b:5671/v"
    assert settings.broker_urls == ("amqp://a:5672/v", "amqps://b:5671/v")
    assert from_env({}).broker_urls == ("amqp://guest:guest@127.0.0.1:5672/%2F",)
    with pytest.raises(SettingsError, match="^BROKER_URL: "):
        from_env({"BROKER_URL": "amqp://a:5672/v,http://b"})


def test_queue_type():
    assert from_env({}).rabbitmq_queue_type == "classic"
    assert from_env({"RABBITMQ_QUEUE_TYPE": " Quorum"}).rabbitmq_queue_type == "quorum"


def test_the_stream_url_browsers_use_follows_the_stream_port_unless_given():
    assert from_env({}).stream_url == "http://127.0.0.1:8090"
    assert from_env({"EVENTS_PORT": "9001"}).stream_url == "http://127.0.0.1:9001"
    given = from_env({"EVENTS_PUBLIC_URL": "https://events.example/", "EVENTS_PORT": "9001"})
    assert given.stream_url == "https://events.example"
    with pytest.raises(SettingsError, match="EVENTS_PUBLIC_URL"):
        from_env({"EVENTS_PUBLIC_URL": "events.example"})
