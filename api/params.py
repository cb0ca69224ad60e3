"""Path and query parameters: ids, prices and page sizes, with the statuses SPEC section 3 gives."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import falcon

ID_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")
_INTEGER = re.compile(r"[+-]?[0-9]{1,40}")


def path_id(raw: str, resource: str) -> int:
    """A path id; anything that is not a positive integer that could exist is a 404."""
    if _DIGITS.fullmatch(raw):
        value = int(raw)
        if 1 <= value <= ID_MAX:
            return value
    raise not_found(resource)


def not_found(resource: str) -> falcon.HTTPNotFound:
    return falcon.HTTPNotFound(title="Not Found", description=f"No such {resource}.")


def bad_parameter(name: str, rule: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(
        title="Invalid query parameter", description=f"`{name}` must be {rule}."
    )


def query_int(req: falcon.Request, name: str, *, low: int, high: int | None = None,
              default: int | None = None) -> int | None:
    raw = req.get_param(name)
    if raw is None:
        return default
    rule = f"an integer from {low} to {high}" if high else f"an integer of at least {low}"
    if not _INTEGER.fullmatch(raw.strip()):
        raise bad_parameter(name, rule)
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise bad_parameter(name, rule)
    return value


def query_price(req: falcon.Request, name: str) -> Decimal | None:
    raw = req.get_param(name)
    if raw is None:
        return None
    rule = "a decimal number of 0 or more"
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise bad_parameter(name, rule) from None
    if not value.is_finite() or value < 0:
        raise bad_parameter(name, rule)
    return value
