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
from api.middleware import DatabaseConnections, RequestLog
from api.openapi import OpenApi
from api.resources.health import Health, Readiness
from api.resources.products import Products
from api.resources.users import Users
from core.settings import Settings
from models.db import db

logger = logging.getLogger(__name__)


def database_check() -> str | None:
    try:
        db.execute_sql("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return f"unavailable: {type(error).__name__}"
    return None


def create_app(settings: Settings) -> falcon.App:
    """Build the API for ``settings``; the database handle must already be bound."""
    app = falcon.App(middleware=[RequestLog(), DatabaseConnections()])
    json = falcon.media.JSONHandler(dumps=orjson.dumps, loads=orjson.loads)
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)

    authenticator = Authenticator(secret=settings.api_key_secret)
    cursor_secret = hashlib.sha256(b"cursor:" + settings.api_key_secret.encode()).digest()

    users = Users(authenticator=authenticator, api_key_secret=settings.api_key_secret)
    products = Products(catalog=Catalog(), authenticator=authenticator,
                        cursor_secret=cursor_secret)
    app.add_route("/users", users)
    app.add_route("/users/{user_id}", users, suffix="item")
    app.add_route("/products", products)
    app.add_route("/products/{product_id}", products, suffix="item")
    app.add_route("/healthz", Health())
    app.add_route("/readyz", Readiness(database=database_check))
    app.add_route("/openapi.json", OpenApi())
    return app
