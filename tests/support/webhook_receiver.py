"""A local webhook receiver for the delivery tests: records every request, and answers each
with the next planned behaviour (200, 500, hang, or closing the connection unanswered), then
with its default."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK, FAIL, HANG, CLOSE = "ok", "fail", "hang", "close"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    def __init__(self, *, default: str = OK, hang_seconds: float = 15.0) -> None:
        self.default = default
        self.plan: deque[str] = deque()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._hang = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    behaviour = receiver.plan.popleft() if receiver.plan else receiver.default
                if behaviour == CLOSE:
                    self.close_connection = True
                    return
                if behaviour == HANG:
                    receiver._hang.wait(hang_seconds)
                    return
                status = 200 if behaviour == OK else 500
                answer = b"thanks" if status == 200 else b"x" * 5000  # longer than kept
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"the receiver got {len(self.received)} requests, not {count}")

    def close(self) -> None:
        self._hang.set()
        self._server.shutdown()
        self._server.server_close()
