"""App-wide error mapping: every error is Falcon's JSON shape with both keys, and no trace."""

from __future__ import annotations

import logging

import falcon
import orjson
import peewee
from playhouse.pool import MaxConnectionsExceeded

from api.params import not_found
from models.products import NotOwner, ProductNotFound
from models.users import EmailTaken

logger = logging.getLogger(__name__)


def serialize_error(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    """Always JSON, whatever the client accepts, with ``title`` and ``description``."""
    title = error.title or str(error.status)
    body = {"title": title, "description": error.description or title}
    resp.data = orjson.dumps(body)
    resp.content_type = falcon.MEDIA_JSON


def database_unavailable(req: falcon.Request, resp: falcon.Response, error: Exception,
                         params: dict) -> None:
    logger.warning(
        "database unavailable",
        extra={"request_id": getattr(req.context, "request_id", None),
               "error_type": type(error).__name__, "error": str(error).strip()},
    )
    raise falcon.HTTPServiceUnavailable(
        title="Service Unavailable",
        description="The database is unavailable; retry shortly.",
        retry_after=5,
    )


def unexpected_error(req: falcon.Request, resp: falcon.Response, error: Exception,
                     params: dict) -> None:
    logger.error(
        "unhandled error",
        exc_info=error,
        extra={"request_id": getattr(req.context, "request_id", None)},
    )
    raise falcon.HTTPInternalServerError(
        title="Internal Server Error", description="The server failed to handle the request."
    )


def product_not_found(req: falcon.Request, resp: falcon.Response, error: ProductNotFound,
                      params: dict) -> None:
    raise not_found("product")


def not_owner(req: falcon.Request, resp: falcon.Response, error: NotOwner,
              params: dict) -> None:
    raise falcon.HTTPForbidden(
        title="Forbidden", description="The API key's user does not own this product."
    )


def email_taken(req: falcon.Request, resp: falcon.Response, error: EmailTaken,
                params: dict) -> None:
    raise falcon.HTTPConflict(title="Conflict", description="`email` is already registered.")


def install(app: falcon.App) -> None:
    """Register the handlers; Falcon picks the most specific class for each error."""
    app.set_error_serializer(serialize_error)
    app.add_error_handler(Exception, unexpected_error)
    app.add_error_handler(
        (peewee.OperationalError, peewee.InterfaceError, MaxConnectionsExceeded),
        database_unavailable,
    )
    # Domain errors, each mapped to HTTP here and nowhere else.
    app.add_error_handler(ProductNotFound, product_not_found)
    app.add_error_handler(NotOwner, not_owner)
    app.add_error_handler(EmailTaken, email_taken)

