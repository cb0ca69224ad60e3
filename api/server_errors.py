"""gunicorn's own error answers (a request line or headers too long, a malformed request) in
the API's JSON error shape, instead of gunicorn's HTML page."""

from __future__ import annotations

import socket

import orjson
from gunicorn import util


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Stands in for ``gunicorn.util.write_error``, with the same arguments."""
    body = orjson.dumps({"title": reason, "description": mesg or reason})
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    """Called from gunicorn.conf.py, in the master before it forks: the workers inherit it.

    gunicorn has no setting for the format of these answers, and its workers call
    ``util.write_error`` by module attribute, so replacing that one function is enough.
    """
    util.write_error = write_json_error
