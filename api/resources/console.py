"""``/console``: the web console (docs/api.md), static pages that call the public API from
the browser. Every file is read once at start and served with a strict
Content-Security-Policy: scripts and styles only from this origin, images only from the
object store, connections only here and to the live stream, so a product name that looks
like markup can never run."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import falcon

from api.console import STATIC
from core.representation import dumps

#: The pages, by the route that serves each.
PAGES = {"catalog": "catalog.html", "product": "product.html", "operator": "operator.html"}
#: Files of the operator view: absent, like /admin, without OPERATOR_TOKEN.
OPERATOR_FILES = frozenset({"operator.html", "operator.js"})
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8"}


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what a CSP source list names."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(*, image_origin: str, stream_origin: str) -> str:
    return "; ".join([
        "default-src 'none'", "script-src 'self'", "style-src 'self'",
        f"img-src {image_origin} data:", f"connect-src 'self' {stream_origin}",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"])


def read_static(directory: Path = STATIC) -> dict[str, tuple[bytes, str]]:
    """Every servable file of ``directory``, by name, with its content type; only names
    found here are ever served, so no request path reaches the file system."""
    return {path.name: (path.read_bytes(), CONTENT_TYPES[path.suffix])
            for path in sorted(directory.iterdir()) if path.suffix in CONTENT_TYPES}


class Console:
    """Parameters:
      image_url: S3_PUBLIC_URL, where the renditions the pages show live.
      stream_url: where the pages open the live stream (Settings.stream_url).
      operator: whether OPERATOR_TOKEN is set; without it the operator page and its flag in
        the config do not exist.
    """

    def __init__(self, *, image_url: str, stream_url: str, operator: bool) -> None:
        self._files = read_static()
        self._operator = operator
        self._policy = content_security_policy(image_origin=origin(image_url),
                                               stream_origin=origin(stream_url))
        config: dict[str, object] = {"stream_url": stream_url.rstrip("/")}
        if operator:
            config["operator"] = True
        self._config = dumps(config)

    def _send(self, resp: falcon.Response, body: bytes, content_type: str) -> None:
        resp.data = body
        resp.content_type = content_type
        resp.set_header("Content-Security-Policy", self._policy)
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Referrer-Policy", "no-referrer")
        # Small files that change with a deployment: revalidated, never stale.
        resp.set_header("Cache-Control", "no-cache")

    def _page(self, resp: falcon.Response, name: str) -> None:
        self._send(resp, *self._files[PAGES[name]])

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._page(resp, "catalog")

    def on_get_product(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._page(resp, "product")

    def on_get_operator(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self._operator:
            raise falcon.HTTPNotFound(title="Not Found", description="No such resource.")
        self._page(resp, "operator")

    def on_get_config(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._send(resp, self._config, falcon.MEDIA_JSON)

    def on_get_static(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        found = self._files.get(name)
        if found is None or (name in OPERATOR_FILES and not self._operator):
            raise falcon.HTTPNotFound(title="Not Found", description="No such resource.")
        self._send(resp, *found)
