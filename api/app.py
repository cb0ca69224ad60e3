"""The WSGI application factory: wiring only, no behaviour of its own."""

from __future__ import annotations

import hashlib
import logging

import falcon
import falcon.media
import orjson

from api import errors
from api.auth import Authenticator
from api.catalog import Catalog
from api.checks import broker_check, cache_check, database_check
from api.client_address import trusted_networks
from api.cors import RouteCors
from api.head import HeadAsGet
from api.metrics import Metrics, RequestMetrics, count_cache_result
from api.middleware import DatabaseConnections, RequestLog, UnreadBodies
from api.openapi import OpenApi
from api.operator import OperatorGate
from api.resources.admin import Admin
from api.resources.console import Console
from api.resources.events import Events
from api.resources.health import Health, Readiness
from api.resources.products import Products
from api.resources.stream_tokens import StreamTokens
from api.resources.users import Users
from api.resources.webhooks import Webhooks
from core.cache import ProductCache, cache_from_settings
from core.rate_limit import RateLimiter
from core.redis_clients import redis_client
from core.settings import Settings
from models.outbox import depth as outbox_depth

logger = logging.getLogger(__name__)

STREAM_TOKENS = "/users/{user_id}/stream-tokens"

#: Seconds a rate-limit check waits for Redis before the request goes through unlimited.
LIMIT_TIMEOUT = 0.25


def create_app(settings: Settings, *, cache: ProductCache | None = None) -> falcon.App:
    """Build the API for ``settings``; the database handle must already be bound.

    Parameters:
      cache: the product cache; by default one on ``settings.redis_url``. Tests pass their
        own to reach its hooks.
    """
    # HeadAsGet goes last, so that the others log and count a HEAD as the HEAD it is.
    # Pages of EVENTS_CORS_ORIGINS may ask for a stream token; the rest of the API is theirs
    # through a server, not a browser.
    app = falcon.App(middleware=[UnreadBodies(), RequestLog(), RequestMetrics(),
                                 RouteCors(settings.events_cors_origins, routes=[STREAM_TOKENS]),
                                 DatabaseConnections(), HeadAsGet()])
    json = falcon.media.JSONHandler(dumps=orjson.dumps, loads=orjson.loads)
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)

    # Its own client: a limit may wait a little longer for Redis than a cache read does.
    limits = redis_client(settings.redis_url, cluster=settings.uses_redis_cluster,
                          socket_timeout=LIMIT_TIMEOUT)
    authenticator = Authenticator(secret=settings.api_key_secret, writes=RateLimiter(
        limits, scope="writes", per_minute=settings.rate_limit_writes_per_minute))
    cursor_secret = hashlib.sha256(b"cursor:" + settings.api_key_secret.encode()).digest()

    users = Users(authenticator=authenticator, api_key_secret=settings.api_key_secret,
                  signups=RateLimiter(limits, scope="signups",
                                      per_minute=settings.rate_limit_signups_per_minute),
                  trusted_proxies=trusted_networks(settings.trusted_proxies))
    if cache is None:
        cache = cache_from_settings(settings, on_result=count_cache_result)
    products = Products(catalog=Catalog(cache=cache), authenticator=authenticator,
                        cursor_secret=cursor_secret)
    app.add_route("/users", users)
    app.add_route("/users/{user_id}", users, suffix="item")
    app.add_route("/users/{user_id}/api-key", users, suffix="api_key")
    app.add_route("/users/{user_id}/events", Events(
        authenticator=authenticator, retention_days=settings.events_retention_days))
    app.add_route(STREAM_TOKENS, StreamTokens(
        authenticator=authenticator, api_key_secret=settings.api_key_secret,
        ttl_seconds=settings.stream_token_ttl_seconds))
    hooks = Webhooks(authenticator=authenticator, cursor_secret=cursor_secret,
                     allow_private=settings.image_fetch_allow_private)
    app.add_route("/webhooks", hooks)
    app.add_route("/webhooks/{webhook_id}", hooks, suffix="item")
    app.add_route("/webhooks/{webhook_id}/deliveries", hooks, suffix="deliveries")
    app.add_route("/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", hooks,
                  suffix="retry")
    app.add_route("/webhooks/{webhook_id}/secret", hooks, suffix="secret")
    app.add_route("/products", products)
    app.add_route("/products/{product_id}", products, suffix="item")
    app.add_route("/healthz", Health())
    app.add_route("/readyz", Readiness(database=database_check, optional={
        "cache": cache_check(redis_client(settings.redis_url,
                                           cluster=settings.uses_redis_cluster)),
        "broker": broker_check(settings.broker_urls),
    }))
    admin = Admin(gate=OperatorGate(settings.operator_token), cache=cache,
                  broker_urls=settings.broker_urls, cursor_secret=cursor_secret)
    app.add_route("/admin/dead-letters", admin, suffix="dead_letters")
    app.add_route("/admin/dead-letters/replay", admin, suffix="replay")
    app.add_route("/admin/dead-letters/purge", admin, suffix="purge")
    app.add_route("/admin/pipeline", admin, suffix="pipeline")
    console = Console(image_url=settings.s3_public_url, stream_url=settings.stream_url,
                      operator=bool(settings.operator_token))
    app.add_route("/console", console)
    app.add_route("/console/product", console, suffix="product")
    app.add_route("/console/operator", console, suffix="operator")
    app.add_route("/console/config.json", console, suffix="config")
    app.add_route("/console/static/{name}", console, suffix="static")
    app.add_route("/openapi.json", OpenApi())
    app.add_route("/metrics", Metrics(outbox_depth=outbox_depth))
    return app
