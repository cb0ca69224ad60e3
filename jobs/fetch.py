"""The download step of the image pipeline: fetch a stranger-supplied URL, safely.

Every hop's URL is parsed by :func:`core.urls.parse_image_url`, the parser the API validates
with, and its normalized text is what is sent, so the host checked, the host connected to and
the host named in errors are one. Only http(s); every hop's host is resolved once, each answer
checked by :mod:`jobs.addresses`, and the connection pinned to the checked IP (Host header, SNI
and the certificate check keep the name), so DNS rebinding cannot slip past the check.
Redirects are followed by hand, a few at most, each hop checked again. The body is streamed
under a byte cap and a whole-download deadline, and cut off when slower than a minimum rate.
Failures leave as :mod:`jobs.errors` types. :func:`post` sends a webhook delivery through the
same guard, following no redirect.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core.urls import DEFAULT_PORTS, ImageUrl, parse_image_url
from jobs.addresses import Resolver, check_literal, resolve_allowed
from jobs.errors import PermanentFetchError, TransientFetchError
from models.failures import FailureCode

logger = logging.getLogger(__name__)

USER_AGENT = "product-catalog-image-fetcher/1.0"
WEBHOOK_USER_AGENT = "product-catalog-webhooks/1.0"
_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "image/*,*/*;q=0.5",
    # A compressed body could inflate far past the byte cap; ask for none.
    "Accept-Encoding": "identity",
}
_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """What one download may cost; timeouts in seconds, total_timeout covers all hops.

    A download averaging under ``min_rate`` bytes a second (0: no minimum) once
    ``min_rate_grace`` seconds have passed is cut off: it would hold a worker thread for the
    whole total_timeout, attempt after attempt.
    """

    max_bytes: int = 20 * 1024 * 1024
    connect_timeout: float = 3.0
    total_timeout: float = 25.0
    allow_private: bool = False
    max_redirects: int = 3
    min_rate: int = 1024
    min_rate_grace: float = 5.0


@dataclass(frozen=True)
class FetchedImage:
    """The downloaded bytes, as sent, with the Content-Type and URL of the last hop."""

    data: bytes
    content_type: str | None
    final_url: str


def fetch_image(
    url: str,
    limits: FetchLimits,
    *,
    session: requests.Session | None = None,
    resolve: Resolver = socket.getaddrinfo,
) -> FetchedImage:
    """Download ``url`` within ``limits``, or raise a :mod:`jobs.errors` fetch error.

    A given ``session`` (e.g. to reuse connections) gets the address-checking adapter mounted
    for http:// and https://; only its adapter and ``verify`` setting are used.
    """
    adapter = _mount_pinning_adapter(session, limits.allow_private, resolve)
    verify = session.verify if session is not None else True
    try:
        with _Deadline(limits.total_timeout, limits.min_rate, limits.min_rate_grace) as deadline:
            return _follow(adapter, url, limits, deadline, verify)
    finally:
        if session is None:
            adapter.close()


def _follow(
    adapter: HTTPAdapter, url: str, limits: FetchLimits, deadline: _Deadline, verify: Any
) -> FetchedImage:
    for _ in range(limits.max_redirects + 1):
        parsed = _parse(url)
        response = _send(adapter, requests.Request("GET", parsed.url, headers=_HEADERS),
                         parsed, limits, deadline, verify)
        with response:
            if not response.is_redirect:
                return _download(response, parsed.url, parsed.host, limits.max_bytes, deadline)
            url = urljoin(parsed.url, response.headers["Location"])
    raise PermanentFetchError(f"too many redirects (more than {limits.max_redirects})",
                              code=FailureCode.TOO_MANY_REDIRECTS)


def _send(adapter: HTTPAdapter, request: requests.Request, parsed: ImageUrl,
          limits: FetchLimits, deadline: _Deadline, verify: Any) -> requests.Response:
    """Send one hop to ``parsed`` (its address checked and pinned by the adapter); the
    response's body is left unread."""
    host = parsed.host
    if parsed.ip is not None:
        check_literal(parsed.ip, allow_private=limits.allow_private)
    if deadline.remaining() <= 0:
        raise _too_slow(host, "took too long")
    token = _hop_host.set(host)
    # The adapter, not Session.send: the latter reads a whole 3xx body into memory even
    # with allow_redirects=False, and the adapter never follows redirects by itself.
    try:
        return adapter.send(
            request.prepare(),
            stream=True,
            timeout=(min(limits.connect_timeout, deadline.remaining()), deadline.remaining()),
            verify=verify,
            proxies={},  # environment proxies would connect past the address check
        )
    except requests.RequestException as e:
        raise _translate(e, host, deadline) from e
    finally:
        _hop_host.reset(token)


@dataclass(frozen=True)
class PostAnswer:
    """A receiver's answer to :func:`post`: its status and the start of its body."""

    status: int
    body: bytes


def post(url: str, body: bytes, headers: dict[str, str], limits: FetchLimits, *,
         answer_bytes: int = 1024, resolve: Resolver = socket.getaddrinfo) -> PostAnswer:
    """POST ``body`` to a stranger's ``url`` (a webhook delivery) through the same guard as
    downloads: the URL parsed by the one parser, its address checked and pinned, the whole
    exchange within ``limits.total_timeout``. Redirects are not followed (a 3xx is the
    answer); at most ``answer_bytes`` of the answer are read. Raises :mod:`jobs.errors`
    fetch errors when no answer came."""
    adapter = _mount_pinning_adapter(None, limits.allow_private, resolve)
    try:
        with _Deadline(limits.total_timeout) as deadline:
            parsed = _parse(url)
            request = requests.Request("POST", parsed.url, data=body, headers={
                "User-Agent": WEBHOOK_USER_AGENT, "Accept-Encoding": "identity", **headers})
            with _send(adapter, request, parsed, limits, deadline, True) as response:
                answer = bytearray()
                try:
                    while len(answer) < answer_bytes and (
                            chunk := response.raw.read1(answer_bytes - len(answer))):
                        answer += chunk
                except (urllib3.exceptions.HTTPError, OSError):
                    pass  # the status is the answer; its body is only kept for the log
                return PostAnswer(response.status_code, bytes(answer))
    finally:
        adapter.close()


def _parse(url: str) -> ImageUrl:
    try:
        return parse_image_url(url)
    except ValueError as e:
        # The parser's reasons never repeat the URL, so no userinfo reaches a message. The
        # API takes only URLs this parser accepts, so what fails here is a redirect's
        # target: somewhere the worker will not go, like a blocked address.
        raise PermanentFetchError(f"URL {e}", code=FailureCode.BLOCKED_ADDRESS) from None


def _download(
    response: requests.Response, url: str, host: str, max_bytes: int, deadline: _Deadline
) -> FetchedImage:
    _check_status(response.status_code, host)
    too_large = PermanentFetchError(f"image too large (more than {max_bytes} bytes)",
                                    code=FailureCode.TOO_LARGE)
    announced = _content_length(response)
    if announced is not None and announced > max_bytes:
        raise too_large
    data = bytearray()
    try:
        # read1 returns what has arrived rather than waiting for a whole chunk, so the
        # deadline's byte count follows a slow body. Counts decoded bytes: those are what
        # could exhaust memory if a server compresses anyway.
        while chunk := response.raw.read1(_CHUNK_BYTES, decode_content=True):
            data += chunk
            deadline.received += len(chunk)
            if len(data) > max_bytes:
                raise too_large
    except (urllib3.exceptions.HTTPError, OSError) as e:
        if deadline.cut is not None:
            raise _too_slow(host, deadline.cut) from e
        logger.info("fetch from %s failed: %s", host, type(e).__name__)
        raise _connection_failed(f"connection to {host} failed") from e
    if deadline.cut is not None:
        # A connection-close body cut off by the deadline ends like a complete one.
        raise _too_slow(host, deadline.cut)
    return FetchedImage(bytes(data), response.headers.get("Content-Type"), url)


def _check_status(status: int, host: str) -> None:
    if 200 <= status < 300:
        return
    reason = f"HTTP {status} from {host}"
    kind = (TransientFetchError if status >= 500 or status in (408, 429)
            else PermanentFetchError)
    raise kind(reason, code=FailureCode.HTTP_STATUS, http_status=status)


def _content_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None  # absent or garbled: the streaming count still applies


def _translate(
    error: requests.RequestException, host: str, deadline: _Deadline
) -> TransientFetchError | PermanentFetchError:
    """A requests error as the pipeline's own (the caller chains it with ``from``)."""
    if deadline.cut is not None:
        return _too_slow(host, deadline.cut)
    if isinstance(error, requests.Timeout):
        return _too_slow(host, "took too long")
    if isinstance(error, requests.exceptions.InvalidURL):
        return PermanentFetchError("invalid URL", code=FailureCode.BLOCKED_ADDRESS)
    if isinstance(error, requests.exceptions.SSLError):
        return _connection_failed(f"TLS handshake with {host} failed")
    logger.info("fetch from %s failed: %s", host, type(error).__name__)
    return _connection_failed(f"connection to {host} failed")


def _too_slow(host: str, why: str) -> TransientFetchError:
    return TransientFetchError(f"download from {host} {why}", code=FailureCode.DOWNLOAD_TIMEOUT)


def _connection_failed(reason: str) -> TransientFetchError:
    return TransientFetchError(reason, code=FailureCode.CONNECTION_FAILED)


class _PinningAdapter(HTTPAdapter):
    """Connects to the checked IP of each request's host instead of resolving it again.

    The technique is requests-hardened's IPFilterAdapter: the pool is keyed on the IP while
    the Host header, TLS SNI and certificate check keep the name. The address policy and the
    resolver are ours, and the connections are watched by the download's deadline.
    """

    def __init__(self, *, allow_private: bool, resolve: Resolver) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        host, port, scheme = host_params["host"], host_params["port"], host_params["scheme"]
        if host.strip("[]").lower() != _hop_host.get():
            # requests read the normalized URL otherwise than core.urls: connect to neither.
            raise PermanentFetchError("URL is ambiguous: its host is read differently",
                                      code=FailureCode.BLOCKED_ADDRESS)
        try:
            ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
        except ValueError:
            ip = resolve_allowed(
                host,
                port or DEFAULT_PORTS[scheme],
                allow_private=self.allow_private,
                resolve=self.resolve,
            )
        else:
            check_literal(ip, allow_private=self.allow_private)
        named = f"[{host}]" if ":" in host else host
        request.headers["Host"] = named if port is None else f"{named}:{port}"
        if scheme == "https":
            pool_kwargs["assert_hostname"] = host
            pool_kwargs["server_hostname"] = host
        host_params["host"] = f"[{ip}]" if ip.version == 6 else str(ip)
        return host_params, pool_kwargs


def _mount_pinning_adapter(
    session: requests.Session | None, allow_private: bool, resolve: Resolver
) -> _PinningAdapter:
    current = session.adapters.get("https://") if session else None
    if (
        isinstance(current, _PinningAdapter)
        and current.allow_private == allow_private
        and current.resolve is resolve
    ):
        return current  # keep its pooled connections
    adapter = _PinningAdapter(allow_private=allow_private, resolve=resolve)
    if session is not None:
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return adapter


_current_deadline: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar(
    "image_fetch_deadline", default=None
)
# The host core.urls read for the hop being sent, which the adapter must be connecting to.
_hop_host: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "image_fetch_hop_host", default=None
)


class _Deadline:
    """Shuts the download's sockets down when time is up or the download is too slow.

    Socket timeouts bound each read, not a server trickling a byte at a time, and urllib3
    blocks until a whole chunk arrives, so only another thread can cut a trickle short (in
    the headers too). DNS lookups are outside its reach: the resolver's own timeouts apply.
    The watching thread sleeps until the moment the byte count, if it stays put, would fall
    under ``min_rate``, so it wakes a few times per download rather than polling.
    """

    def __init__(self, seconds: float, min_rate: int = 0, grace: float = 0.0) -> None:
        self.started = time.monotonic()
        self.expires_at = self.started + seconds
        self.min_rate = min_rate
        self.grace = grace
        self.received = 0  # body bytes so far, added to by the downloading thread only
        self.cut: str | None = None  # why the sockets were shut, once they were
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fetch-deadline", daemon=True)

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.cut is not None:
                _shut(sock)

    def _watch(self) -> None:
        while True:
            now = time.monotonic()
            if now >= self.expires_at:
                self._cut("took too long")
                return
            wake = self.expires_at
            if self.min_rate:
                elapsed = now - self.started
                if elapsed >= self.grace and self.received < self.min_rate * elapsed:
                    self._cut(f"was slower than {self.min_rate} bytes/s")
                    return
                wake = min(wake, self.started + max(self.grace, self.received / self.min_rate))
            # The floor keeps a count exactly on the line from spinning.
            if self._done.wait(max(wake - now, 0.01)):
                return

    def _cut(self, reason: str) -> None:
        with self._lock:
            self.cut = reason
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Deadline:
        self._token = _current_deadline.set(self)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        _current_deadline.reset(self._token)


def _shut(sock: socket.socket) -> None:
    try:
        # The plain-socket method even for TLS: it wakes a blocked read in another thread
        # without touching the SSL object that thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _WatchedConnection(HTTPConnection):
    def getresponse(self) -> Any:
        deadline = _current_deadline.get()
        if deadline is not None and self.sock is not None:
            deadline.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection
