"""The OpenAPI document is valid and names every route and method the app serves."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from api.app import create_app
from api.openapi import build_document
from core.settings import Settings

# Operational endpoints outside the client contract.
UNDOCUMENTED = {"/metrics"}


def served_operations() -> set[tuple[str, str]]:
    app = create_app(Settings())
    operations = set()
    for node in app._router._roots:  # noqa: SLF001 - Falcon exposes no public route listing
        stack = [node]
        while stack:
            current = stack.pop()
            stack.extend(current.children)
            if current.resource is None or current.uri_template in UNDOCUMENTED:
                continue
            path = re.sub(r"\{\w+\}", "{id}", current.uri_template)
            for method, responder in current.method_map.items():
                # Falcon fills unimplemented methods (405, OPTIONS) with its own functions.
                if getattr(responder, "__self__", None) is current.resource:
                    operations.add((path, method.lower()))
    return operations


def test_document_is_valid_openapi():
    validate(build_document())


def test_every_served_operation_is_documented_and_nothing_else():
    documented = {(path, method) for path, item in build_document()["paths"].items()
                  for method in item}
    assert served_operations() == documented
