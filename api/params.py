"""Path and query parameters: ids, prices and page sizes, with the statuses docs/api.md gives."""

from __future__ import annotations

import re
from decimal import Decimal

import falcon

from api.schemas import ID_MAX, PRICE_PATTERN

__all__ = ["ID_MAX", "INTEGER_MAX", "PRICE_PATTERN", "TEXT_MAX_LENGTH"]

_DIGITS = re.compile(r"[0-9]{1,19}")
#: An integer query parameter: ASCII digits as OpenAPI's ``integer`` serializes one (no sign,
#: no blanks), at most 40 of them.
_INTEGER = re.compile(r"[0-9]{1,40}")
INTEGER_MAX = 10**40 - 1
#: A price bound, as in a body: no exponent or digit of another script reaches PostgreSQL's
#: numeric type.
_PRICE = re.compile(PRICE_PATTERN)
#: The longest text filter worth sending: a product name is at most 255 characters.
TEXT_MAX_LENGTH = 255


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


def refuse_unknown_parameters(req: falcon.Request, known: frozenset[str], what: str) -> None:
    """400 for a query parameter ``what`` does not take: a misspelt one read as absent would
    quietly change the answer (a feed restarted from its beginning, a page from its top)."""
    unknown = sorted(set(req.params) - known)
    if unknown:
        raise falcon.HTTPBadRequest(
            title="Invalid query parameter",
            description=f"Unknown query parameter `{unknown[0][:64]}`; {what} takes "
                        + ", ".join(f"`{name}`" for name in sorted(known)) + ".")


def query_int(req: falcon.Request, name: str, *, low: int, high: int | None = None,
              default: int | None = None) -> int | None:
    raw = req.get_param(name)
    if raw is None:
        return default
    rule = f"an integer from {low} to {high}" if high else f"an integer of at least {low}"
    if not _INTEGER.fullmatch(raw):
        raise bad_parameter(name, rule)
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise bad_parameter(name, rule)
    return value


def query_price(req: falcon.Request, name: str) -> Decimal | None:
    raw = req.get_param(name)
    if raw is None:
        return None
    if not _PRICE.fullmatch(raw):
        raise bad_parameter(name, "a price from 0 to 99999999.99 with at most two decimal places")
    return Decimal(raw)


def query_text(req: falcon.Request, name: str) -> str | None:
    """A text filter; NUL (which PostgreSQL cannot hold) and over-long values are a 400."""
    raw = req.get_param(name)
    if raw is None:
        return None
    if "\x00" in raw or len(raw) > TEXT_MAX_LENGTH:
        raise bad_parameter(name, f"at most {TEXT_MAX_LENGTH} characters, without NUL")
    return raw
