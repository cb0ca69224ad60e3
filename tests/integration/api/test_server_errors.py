"""What gunicorn refuses before the app sees it is the API's JSON error shape too."""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.processes import ApiServer


def exchange(server: ApiServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (gunicorn closes after its own errors)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip()
               for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\n", 431),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-H%d: 1\r\n" % i for i in range(200)) + b"\r\n", 431),
    (b"NOT A REQUEST\r\n\r\n", 400),
], ids=["request-line-too-long", "header-too-large", "too-many-headers", "malformed"])
def test_a_request_gunicorn_refuses_gets_a_json_error(server, request_bytes, status):
    got_status, headers, body = exchange(server, request_bytes)

    assert got_status == status
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert set(document) == {"title", "description"}
    assert document["title"] and document["description"]
