"""The OpenAPI 3.1 document, built from the same msgspec structs that validate requests."""

from __future__ import annotations

import msgspec

from api import schemas
from api.params import INTEGER_MAX, TEXT_MAX_LENGTH
from api.resources.admin import PAGE_SIZE_MAX as ADMIN_PAGE_MAX
from api.resources.events import PAGE_SIZE_MAX as EVENTS_PAGE_MAX
from api.resources.events import TYPES_MAX_LENGTH
from api.resources.webhooks import PAGE_SIZE_MAX as DELIVERIES_PAGE_MAX
from core.events import EVENT_ID_PATTERN
from models.events import EventType

_REF = "#/components/schemas/{name}"
_JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": _REF.format(name=name)}


def _body(name: str) -> dict:
    return {"required": True, "content": {_JSON: {"schema": _ref(name)}}}


def _response(description: str, name: str | None = None, headers: dict | None = None) -> dict:
    response: dict = {"description": description}
    if name:
        response["content"] = {_JSON: {"schema": _ref(name)}}
    if headers:
        response["headers"] = headers
    return response


def _errors(*statuses: int) -> dict:
    reasons = {
        400: "Malformed JSON or a bad query parameter",
        401: "No valid API key",
        403: "Not the owner",
        404: "No such resource",
        409: "E-mail already registered",
        413: "Body over 1 MiB",
        415: "Body is not application/json",
        422: "A field breaks its rule; `description` names it",
        429: "Over a rate limit; retry after `Retry-After` seconds",
        503: "A backing service is down; retry",
    }
    headers = {429: _retry_after(required=True), 503: _retry_after(required=False)}
    return {str(status): _response(reasons[status], "Error", headers.get(status))
            for status in statuses}


def _retry_after(*, required: bool) -> dict:
    return {"Retry-After": {"required": required, "description": "seconds to wait",
                            "schema": {"type": "integer", "minimum": 0}}}


_ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": schemas.ID_MAX}
_PRICE_BOUND = {"type": "string", "pattern": schemas.PRICE_PATTERN}
_LOCATION = {"Location": {"schema": {"type": "string"}}}
_X_CACHE = {"X-Cache": {"schema": {"type": "string", "enum": ["HIT", "MISS"]}}}
_SECURED = [{"apiKey": []}]
_OPERATOR = [{"operatorToken": []}]
_TYPE = "|".join(each.replace(".", "\\.") for each in EventType)
_TYPES_PATTERN = f"^({_TYPE})(,({_TYPE}))*$"


def _query(name: str, schema: dict, *, required: bool = False, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


def _some_or_all(selection: dict) -> dict:
    """DeadLetterSelection as the body it is: ids, or ``all: true``, never both (msgspec
    writes one object with both fields optional; the struct checks the rule)."""
    ids = {**selection["properties"]["message_ids"], "minItems": 1}
    return {"description": selection.get("description", ""), "oneOf": [
        {"type": "object", "properties": {"message_ids": ids}, "required": ["message_ids"],
         "additionalProperties": False},
        {"type": "object", "properties": {"all": {"const": True}}, "required": ["all"],
         "additionalProperties": False},
    ]}


def build_document() -> dict:
    """The whole document; ``/openapi.json`` serves it as it is."""
    _, components = msgspec.json.schema_components(
        [schemas.UserCreate, schemas.UserCreated, schemas.User, schemas.ApiKey,
         schemas.StreamToken,
         schemas.ProductCreate, schemas.ProductPatch, schemas.Product, schemas.ProductPage,
         schemas.Event, schemas.EventPage, schemas.WebhookCreate, schemas.WebhookPatch,
         schemas.Webhook, schemas.WebhookList, schemas.WebhookCreated, schemas.WebhookSecret,
         schemas.Delivery, schemas.DeliveryPage, schemas.Error,
         schemas.DeadLetterSelection, schemas.DeadLetterPage, schemas.DeadLettersReplayed,
         schemas.DeadLettersPurged, schemas.PipelineState,
         schemas.Readiness],
        ref_template=_REF,
    )
    components["DeadLetterSelection"] = _some_or_all(components["DeadLetterSelection"])
    item_id = [{"name": "id", "in": "path", "required": True, "schema": _ID}]
    # Every authenticated write, and sign-up, takes a token from a rate-limit bucket.
    write = _errors(400, 401, 413, 415, 422, 429, 503)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Product catalog", "version": "1.0.0",
                 "description": "Products with asynchronously compressed images."},
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer"},
                "operatorToken": {"type": "http", "scheme": "bearer",
                                  "description": "OPERATOR_TOKEN; without one configured the"
                                                 " operator endpoints answer 404"},
            },
        },
        "paths": {
            "/users": {"post": {
                "operationId": "createUser",
                "requestBody": _body("UserCreate"),
                "responses": {"201": _response("Created; the key is shown this once",
                                               "UserCreated", _LOCATION),
                              **_errors(400, 409, 413, 415, 422, 429, 503)},
            }},
            "/users/{id}": {"get": {
                "operationId": "getUser", "parameters": item_id,
                "responses": {"200": _response("The user (with e-mail for its own key)", "User"),
                              **_errors(404, 503)},
            }},
            "/users/{id}/api-key": {"post": {
                "operationId": "rotateApiKey", "security": _SECURED, "parameters": item_id,
                "responses": {"201": _response("A new key, shown this once; the old one is dead",
                                               "ApiKey"),
                              **_errors(401, 403, 404, 429, 503)},
            }},
            "/users/{id}/stream-tokens": {"post": {
                "operationId": "createStreamToken", "security": _SECURED, "parameters": item_id,
                "responses": {"201": _response("A token that opens this user's live stream",
                                               "StreamToken"),
                              **_errors(401, 403, 404, 429, 503)},
            }},
            "/users/{id}/events": {"get": {
                "operationId": "listEvents", "security": _SECURED, "parameters": [
                    *item_id,
                    _query("after", {"type": "string", "pattern": EVENT_ID_PATTERN},
                           description="an event id from this feed (`next_after`, an item's"
                                       " or a webhook's): events after it"),
                    _query("types", {"type": "string", "pattern": _TYPES_PATTERN,
                                     "maxLength": TYPES_MAX_LENGTH},
                           description="comma-separated event types; all when left out"),
                    _query("limit", {"type": "integer", "minimum": 1,
                                     "maximum": EVENTS_PAGE_MAX}),
                ],
                "responses": {"200": _response("Visible events after `after`, oldest first",
                                               "EventPage"),
                              **_errors(400, 401, 403, 404, 503)},
            }},
            "/webhooks": {
                "post": {
                    "operationId": "createWebhook", "security": _SECURED,
                    "requestBody": _body("WebhookCreate"),
                    "responses": {"201": _response("Created; the secret is shown this once",
                                                   "WebhookCreated", _LOCATION),
                                  **write},
                },
                "get": {
                    "operationId": "listWebhooks", "security": _SECURED,
                    "responses": {"200": _response("The key's user's webhooks",
                                                   "WebhookList"),
                                  **_errors(401, 503)},
                },
            },
            "/webhooks/{id}": {
                "get": {
                    "operationId": "getWebhook", "security": _SECURED, "parameters": item_id,
                    "responses": {"200": _response("The webhook", "Webhook"),
                                  **_errors(401, 404, 503)},
                },
                "patch": {
                    "operationId": "updateWebhook", "security": _SECURED,
                    "parameters": item_id, "requestBody": _body("WebhookPatch"),
                    "responses": {"200": _response("The updated webhook", "Webhook"),
                                  **write, **_errors(404)},
                },
                "delete": {
                    "operationId": "deleteWebhook", "security": _SECURED,
                    "parameters": item_id,
                    "responses": {"204": _response("Deleted, with its deliveries"),
                                  **_errors(401, 404, 429, 503)},
                },
            },
            "/webhooks/{id}/deliveries": {"get": {
                "operationId": "listDeliveries", "security": _SECURED, "parameters": [
                    *item_id,
                    _query("limit", {"type": "integer", "minimum": 1,
                                     "maximum": DELIVERIES_PAGE_MAX}),
                    _query("cursor", {"type": "string"},
                           description="a next_cursor from an earlier page"),
                ],
                "responses": {"200": _response("Newest first", "DeliveryPage"),
                              **_errors(400, 401, 404, 503)},
            }},
            "/admin/dead-letters": {"get": {
                "operationId": "listDeadLetters", "security": _OPERATOR, "parameters": [
                    _query("limit", {"type": "integer", "minimum": 1,
                                     "maximum": ADMIN_PAGE_MAX}),
                    _query("cursor", {"type": "string"},
                           description="a next_cursor from an earlier page"),
                ],
                "responses": {"200": _response("The archive, newest first", "DeadLetterPage"),
                              **_errors(400, 401, 404, 503)},
            }},
            "/admin/dead-letters/replay": {"post": {
                "operationId": "replayDeadLetters", "security": _OPERATOR,
                "requestBody": _body("DeadLetterSelection"),
                "responses": {"200": _response("Queued again, each as a new job; their images"
                                               " are pending again", "DeadLettersReplayed"),
                              **_errors(400, 401, 404, 413, 415, 422, 503)},
            }},
            "/admin/dead-letters/purge": {"post": {
                "operationId": "purgeDeadLetters", "security": _OPERATOR,
                "requestBody": _body("DeadLetterSelection"),
                "responses": {"200": _response("Dropped from the archive", "DeadLettersPurged"),
                              **_errors(400, 401, 404, 413, 415, 422, 503)},
            }},
            "/admin/pipeline": {"get": {
                "operationId": "getPipeline", "security": _OPERATOR,
                "responses": {"200": _response("Depths and the last hour's failures",
                                               "PipelineState"),
                              **_errors(401, 404, 503)},
            }},
            "/webhooks/{id}/deliveries/{delivery_id}/retry": {"post": {
                "operationId": "retryDelivery", "security": _SECURED, "parameters": [
                    *item_id,
                    {"name": "delivery_id", "in": "path", "required": True, "schema": _ID}],
                "responses": {"202": _response("Due now: one more attempt", "Delivery"),
                              **_errors(401, 404, 429, 503)},
            }},
            "/webhooks/{id}/secret": {"post": {
                "operationId": "rotateWebhookSecret", "security": _SECURED,
                "parameters": item_id,
                "responses": {"201": _response("A new secret, shown this once; the old one"
                                               " also signs for 24 h", "WebhookSecret"),
                              **_errors(401, 404, 429, 503)},
            }},
            "/products": {
                "post": {
                    "operationId": "createProduct", "security": _SECURED,
                    "requestBody": _body("ProductCreate"),
                    "responses": {"201": _response("Created; images are queued", "Product",
                                                   _LOCATION),
                                  **write, **_errors(403)},
                },
                "get": {
                    "operationId": "listProducts",
                    "parameters": [
                        # Not only ids that can exist: a larger one is an empty page.
                        _query("user_id", {"type": "integer", "minimum": 1,
                                           "maximum": INTEGER_MAX}, required=True),
                        _query("min_price", _PRICE_BOUND,
                               description="inclusive; at most `max_price`"),
                        _query("max_price", _PRICE_BOUND, description="inclusive"),
                        _query("name", {"type": "string", "maxLength": TEXT_MAX_LENGTH,
                                        "pattern": schemas.NO_NUL},
                               description="case-insensitive substring of product_name"),
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                        _query("cursor", {"type": "string"},
                               description="a next_cursor from an earlier page"),
                    ],
                    "responses": {"200": _response("Newest first", "ProductPage"),
                                  **_errors(400, 503)},
                },
            },
            "/products/{id}": {
                "get": {
                    "operationId": "getProduct", "parameters": item_id,
                    "responses": {"200": _response("The product", "Product", _X_CACHE),
                                  **_errors(404, 503)},
                },
                "patch": {
                    "operationId": "updateProduct", "parameters": item_id,
                    "security": _SECURED, "requestBody": _body("ProductPatch"),
                    "responses": {"200": _response("The updated product", "Product"),
                                  **write, **_errors(403, 404)},
                },
                "delete": {
                    "operationId": "deleteProduct", "parameters": item_id,
                    "security": _SECURED,
                    "responses": {"204": _response("Deleted"),
                                  **_errors(401, 403, 404, 429, 503)},
                },
            },
            "/openapi.json": {"get": {"operationId": "openapi",
                                      "responses": {"200": _response("This document")}}},
            "/healthz": {"get": {"operationId": "health",
                                 "responses": {"200": _response("The process runs")}}},
            "/readyz": {"get": {
                "operationId": "readiness",
                "responses": {"200": _response("Ready", "Readiness"),
                              "503": _response("The database is unreachable", "Readiness")},
            }},
        },
    }


class OpenApi:
    def __init__(self) -> None:
        self._body = msgspec.json.encode(build_document())

    def on_get(self, req, resp) -> None:  # noqa: ANN001 - Falcon's responder signature
        resp.data = self._body
