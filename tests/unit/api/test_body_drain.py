"""api.bodies.drain_unread_body: what a response left unread is read up to a bound and a
deadline (the end-to-end check, through gunicorn, is tests/integration/api/test_body_limits.py)."""

from __future__ import annotations

import io
import socket
import time

import falcon
import pytest
from falcon import testing

from api import bodies


def request(body: bytes, *, headers: dict | None = None, **env: object) -> falcon.Request:
    environ = testing.create_environ(method="POST", path="/products", body=body,
                                     headers=headers or {})
    environ.update(env)
    return falcon.Request(environ)


def test_an_unread_body_within_the_bound_is_read_to_its_end():
    req = request(b"x" * (2 * bodies.MAX_BODY_BYTES))
    assert bodies.drain_unread_body(req)
    assert req.bounded_stream.eof


def test_a_body_already_read_costs_nothing():
    req = request(b"{}")
    req.bounded_stream.read()
    assert bodies.drain_unread_body(req)


def test_a_body_announced_beyond_the_bound_is_left_to_the_server():
    stream = io.BytesIO(b"x" * (bodies.DRAIN_MAX_BYTES + 1))
    req = request(b"", headers={"Content-Length": str(bodies.DRAIN_MAX_BYTES + 1)},
                  **{"wsgi.input": stream})
    assert not bodies.drain_unread_body(req)
    assert stream.tell() == 0, "nothing read: the server closes the connection instead"


def test_a_chunked_body_is_drained_when_the_server_ends_the_stream():
    stream = io.BytesIO(b"x" * 100_000)
    req = request(b"", headers={"Transfer-Encoding": "chunked"},
                  **{"wsgi.input": stream, "wsgi.input_terminated": True})
    assert bodies.drain_unread_body(req)
    assert stream.tell() == 100_000


@pytest.mark.timeout(10)
def test_an_endless_chunked_body_stops_at_the_bound():
    class Endless(io.RawIOBase):
        given = 0

        def read(self, size: int = -1) -> bytes:
            self.given += size
            return b"x" * size

    stream = Endless()
    req = request(b"", headers={"Transfer-Encoding": "chunked"},
                  **{"wsgi.input": stream, "wsgi.input_terminated": True})
    assert not bodies.drain_unread_body(req)
    assert stream.given <= bodies.DRAIN_MAX_BYTES + 64 * 1024


# Without the socket timeout the read would block for good: fail rather than hang.
@pytest.mark.timeout(10)
def test_a_client_that_stops_sending_is_given_up_on_at_the_deadline(monkeypatch):
    monkeypatch.setattr(bodies, "DRAIN_TIMEOUT_SECONDS", 0.3)
    server, client = socket.socketpair()
    with server, client:
        client.sendall(b"x" * 1000)  # of the 10,000 bytes announced; then nothing
        req = request(b"", headers={"Content-Length": "10000"},
                      **{"wsgi.input": server.makefile("rb"), "gunicorn.socket": server})
        started = time.monotonic()
        assert not bodies.drain_unread_body(req)
        assert time.monotonic() - started < 2
        assert server.gettimeout() is None, "the server's blocking socket is restored"
