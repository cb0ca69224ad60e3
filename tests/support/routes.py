"""The routes an app serves, read from its router, for the tests that hold docs against it."""

from __future__ import annotations

import re

import falcon


def served_operations(app: falcon.App, *, leave_out: frozenset[str] = frozenset()
                      ) -> set[tuple[str, str]]:
    """(path, lower-case method) of every responder the app's resources define, with each
    path parameter written ``{id}``; ``leave_out`` names URI templates to skip."""
    operations = set()
    for node in app._router._roots:  # noqa: SLF001 - Falcon exposes no public route listing
        stack = [node]
        while stack:
            current = stack.pop()
            stack.extend(current.children)
            if current.resource is None or current.uri_template in leave_out:
                continue
            path = re.sub(r"\{\w+\}", "{id}", current.uri_template)
            for method, responder in current.method_map.items():
                # Falcon fills unimplemented methods (405, OPTIONS) with its own functions.
                if getattr(responder, "__self__", None) is current.resource:
                    operations.add((path, method.lower()))
    return operations
