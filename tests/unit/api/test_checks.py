"""api.checks.broker_check: the broker is there when any of its nodes accepts connections."""

from __future__ import annotations

import socket

from api.checks import broker_check
from tests.support.processes import free_port


def test_one_node_that_answers_is_enough():
    with socket.create_server(("127.0.0.1", 0)) as listening:
        up = f"amqp://guest:guest@127.0.0.1:{listening.getsockname()[1]}/%2F"
        down = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
        assert broker_check([down, up])() is None
        assert broker_check([down])() == "unavailable: ConnectionRefusedError"
