"""The local services the tests need, and the check that fails (never skips) without one."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

SERVICES = {
    "PostgreSQL": (5432, "bash scripts/services.sh"),
    "Redis": (6379, "bash scripts/services.sh"),
    "RabbitMQ": (5672, "bash scripts/services.sh"),
}
#: Held by every test session and benchmark run: they share these services' databases.
SESSION_LOCK = Path(tempfile.gettempdir()) / "product-catalog-tests.lock"


def require_service(name: str) -> None:
    """Fail the test with the command that starts ``name`` if it is not answering."""
    port, command = SERVICES[name]
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        pytest.fail(f"{name} is not answering on 127.0.0.1:{port}; start it with: {command}",
                    pytrace=False)
