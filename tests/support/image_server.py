"""A local HTTP server of source images for pipeline tests, with misbehaving routes.

Routes (``name`` is a registered image):
  /img/<name>            the image
  /flaky/<n>/<name>      503 for the first n requests, then the image
  /status/<code>         that status, empty body
  /html                  an HTML page served as image/jpeg
  /big                   IMAGE_MAX_BYTES-busting body without Content-Length
  /hang/<name>           signals ``download_started``, then waits for ``release`` to serve
  /fixable/<name>        404 until ``fix(name)``, then the image

:class:`TrickleServer` is a source that sends one byte a second.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ImageServer:
    def __init__(self) -> None:
        self.images: dict[str, tuple[bytes, str]] = {}
        self.hits: Counter[str] = Counter()
        self.download_started = threading.Event()
        self.release = threading.Event()
        self._fixed: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def add(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        self.images[name] = (data, content_type)
        return f"{self.base}/img/{name}"

    def fix(self, name: str) -> None:
        self._fixed.add(name)

    def count(self, path: str) -> int:
        with self._lock:
            return self.hits[path]

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes = b"", content_type: str = "image/jpeg",
                      length: bool = True) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if length:
                    self.send_header("Content-Length", str(len(body)))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def _image(self, name: str) -> None:
                if name not in server.images:
                    self._send(404)
                    return
                data, content_type = server.images[name]
                self._send(200, data, content_type)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with server._lock:
                    server.hits[self.path] += 1
                    seen = server.hits[self.path]
                parts = self.path.strip("/").split("/")
                kind = parts[0]
                if kind == "img":
                    self._image(parts[1])
                elif kind == "flaky":
                    if seen <= int(parts[1]):
                        self._send(503)
                    else:
                        self._image(parts[2])
                elif kind == "status":
                    self._send(int(parts[1]))
                elif kind == "html":
                    self._send(200, b"<!doctype html><html><body>not an image</body></html>")
                elif kind == "big":
                    chunk = b"\xff" * 65536
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    try:
                        for _ in range(1024):  # 64 MiB at most
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                elif kind == "hang":
                    server.download_started.set()
                    server.release.wait(timeout=120)
                    self._image(parts[1])
                elif kind == "fixable":
                    if parts[1] in server._fixed:
                        self._image(parts[1])
                    else:
                        self._send(404)
                else:
                    self._send(404)

        return Handler


class TrickleServer:
    """A slow or hostile source on a port of its own: every path answers 200 with a
    ``length``-byte body sent one byte every ``interval`` seconds, until the client goes away
    or :meth:`close`. Each download's span is noted, so a test can tell how many ran at once.
    Its handler threads are not daemons: close() ends and joins them all.
    """

    def __init__(self, *, length: int = 1000, interval: float = 1.0) -> None:
        self.length, self.interval = length, interval
        self.spans: list[tuple[float, float]] = []  # (start, end) of each ended download
        self._running: dict[int, float] = {}  # thread id: start of each running download
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._handlers: list[threading.Thread] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = False
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._serving = threading.Thread(target=self._server.serve_forever)
        self._serving.start()

    def url(self, name: str) -> str:
        return f"{self.base}/trickle/{name}"

    def most_at_once(self, *, slack: float = 0.05) -> int:
        """The most downloads that ran at once; spans overlapping by less than ``slack``
        seconds (the server noticing a cut-off client a moment late) do not count."""
        with self._lock:
            spans = [*self.spans, *((start, float("inf")) for start in self._running.values())]
        edges = sorted([(start, 1) for start, _ in spans] + [(end - slack, -1) for _, end in spans])
        running = most = 0
        for _, step in edges:
            running += step
            most = max(most, running)
        return most

    def close(self) -> list[threading.Thread]:
        """Stop serving and end every download; returns the handler threads still alive
        (none, unless one is stuck)."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._serving.join(timeout=10)
        with self._lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(timeout=10)
        return [thread for thread in [*handlers, self._serving] if thread.is_alive()]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _client_gone(self, timeout: float) -> bool:
                # The client sends nothing after its request: readable means closed.
                readable, _, _ = select.select([self.connection], [], [], timeout)
                if not readable:
                    return False
                try:
                    return not self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    return True

            def _trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(server.length))
                self.end_headers()
                for _ in range(server.length):
                    self.wfile.write(b"\xff")
                    deadline = time.monotonic() + server.interval
                    while (left := deadline - time.monotonic()) > 0:
                        if server._stop.is_set() or self._client_gone(min(left, 0.2)):
                            return

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                started = time.monotonic()
                with server._lock:
                    server._handlers.append(threading.current_thread())
                    server._running[threading.get_ident()] = started
                try:
                    self._trickle()
                except OSError:
                    pass  # the client cut the download off
                finally:
                    with server._lock:
                        del server._running[threading.get_ident()]
                        server.spans.append((started, time.monotonic()))

        return Handler
