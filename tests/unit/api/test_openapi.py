"""The OpenAPI document is valid and names every route and method the app serves."""

from __future__ import annotations

from openapi_spec_validator import validate

from api.app import create_app
from api.openapi import build_document
from core.settings import Settings
from tests.support import routes

# Operational endpoints outside the client contract.
UNDOCUMENTED = frozenset({"/metrics"})


def served_operations() -> set[tuple[str, str]]:
    return routes.served_operations(create_app(Settings()), leave_out=UNDOCUMENTED)


def test_document_is_valid_openapi():
    validate(build_document())


def test_every_served_operation_is_documented_and_nothing_else():
    documented = {(path, method) for path, item in build_document()["paths"].items()
                  for method in item}
    assert served_operations() == documented
