"""What OpenAPI cannot say about GET /products, for schemathesis runs (the test, and the CLI
through ``SCHEMATHESIS_HOOKS=tests.support.schemathesis_hooks``).

Two query rules relate values the document describes one at a time: ``min_price`` is at most
``max_price``, and a ``cursor`` is one this API issued (signed). A positive case is made to
keep them; a negative one is left as it was generated.
"""

from __future__ import annotations

from decimal import Decimal

import schemathesis
from schemathesis.core.parameters import ParameterLocation


def satisfiable_query(query: dict) -> None:
    """Drop a made-up cursor or event id and order the price bounds, in place."""
    query.pop("cursor", None)
    # An `after` is an event id the feed issued; a made-up one is a documented 400.
    query.pop("after", None)
    low, high = query.get("min_price"), query.get("max_price")
    if isinstance(low, str) and isinstance(high, str) and Decimal(low) > Decimal(high):
        query["min_price"], query["max_price"] = high, low


def reachable_webhook(body: object) -> None:
    """Point a webhook body's URL at a name that never resolves, in place: the document cannot
    say which addresses are blocked (a generated ``http://0.0.0.0`` is a documented 422), and
    a name that does not resolve is accepted (deliveries resolve again)."""
    if isinstance(body, dict) and isinstance(body.get("url"), str):
        body["url"] = "https://receiver.invalid/hook"


@schemathesis.hook
def map_case(ctx, case):  # noqa: ANN001, ANN201 - schemathesis' hook signature
    negative = case.meta is not None and case.meta.is_negative_at(ParameterLocation.QUERY)
    if case.operation.path == "/products" and case.query and not negative:
        satisfiable_query(case.query)
    body_negative = case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY)
    if case.operation.path.startswith("/webhooks") and not body_negative:
        reachable_webhook(case.body)
    return case
