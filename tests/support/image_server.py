"""A local HTTP server of source images for pipeline tests, with misbehaving routes.

Routes (``name`` is a registered image):
  /img/<name>            the image
  /flaky/<n>/<name>      503 for the first n requests, then the image
  /status/<code>         that status, empty body
  /html                  an HTML page served as image/jpeg
  /big                   IMAGE_MAX_BYTES-busting body without Content-Length
  /hang/<name>           signals ``download_started``, then waits for ``release`` to serve
  /fixable/<name>        404 until ``fix(name)``, then the image
"""

from __future__ import annotations

import threading
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
