"""The operators' bearer token (OPERATOR_TOKEN, docs/api.md): the gate of ``/admin``.

Unset, the operator endpoints do not exist (404), so a deployment that never configured a
token has nothing to guess at. The comparison is of SHA-256 digests with
``hmac.compare_digest``: constant time, and the token's length does not show either.
"""

from __future__ import annotations

import hashlib
import hmac

import falcon

from api.auth import bearer_token


class OperatorGate:
    def __init__(self, token: str) -> None:
        self._digest = hashlib.sha256(token.encode()).digest() if token else None

    @property
    def enabled(self) -> bool:
        return self._digest is not None

    def require(self, req: falcon.Request) -> None:
        """Raise 404 when operators are off, 401 unless the request carries the token."""
        if self._digest is None:
            raise falcon.HTTPNotFound(title="Not Found", description="No such resource.")
        token = bearer_token(req)
        offered = hashlib.sha256((token or "").encode()).digest()
        if token is None or not hmac.compare_digest(offered, self._digest):
            raise falcon.HTTPUnauthorized(
                title="Unauthorized",
                description="The operator token is required: send "
                            "`Authorization: Bearer <OPERATOR_TOKEN>`.",
                challenges=["Bearer"])
