"""Tests for jobs.fetch against a real HTTP server on 127.0.0.1.

Nothing here may reach beyond loopback: the autouse ``_only_loopback`` fixture fails any test
whose code would open a connection elsewhere, so even a broken address check stays local.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jobs import addresses
from jobs.errors import BlockedAddressError, PermanentFetchError, TransientFetchError
from jobs.fetch import USER_AGENT, FetchedImage, FetchLimits, fetch_image
from models.failures import FailureCode
from tests.support.processes import free_port

CAP = 1024
IMAGE = b"\x89PNG\r\n\x1a\n" + b"x" * 100
LOCAL = FetchLimits(max_bytes=CAP, connect_timeout=1.0, total_timeout=5.0, allow_private=True)
STRICT = FetchLimits(max_bytes=CAP, connect_timeout=1.0, total_timeout=5.0)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:  # noqa: N802 - the name http.server looks up
        self.server.seen.append((self.path, dict(self.headers)))
        parts = urlsplit(self.path)
        route, _, arg = parts.path.strip("/").partition("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        getattr(self, f"_{route.replace('-', '_')}")(arg, query)

    def _image(self, _arg: str, _query: dict) -> None:
        self._reply(200, IMAGE, content_type="image/png")

    def _echo_host(self, _arg: str, _query: dict) -> None:
        self._reply(200, self.headers["Host"].encode())

    def _status(self, code: str, _query: dict) -> None:
        self._reply(int(code), b"nope")

    def _redirect(self, _arg: str, query: dict) -> None:
        self._reply(302, b"", location=query["to"])

    def _chain(self, hops: str, _query: dict) -> None:
        if int(hops) == 0:
            self._image("", {})
        else:
            self._reply(302, b"", location=f"/chain/{int(hops) - 1}")

    def _exact(self, _arg: str, _query: dict) -> None:
        self._reply(200, b"y" * CAP, content_length=False)

    def _announced_too_large(self, _arg: str, _query: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(10 * CAP))
        self.end_headers()
        self.wfile.flush()
        self.rfile.read(1)  # no body: only a client that waits for one would notice

    def _too_large_close(self, _arg: str, _query: dict) -> None:
        # HTTP/1.0 without Content-Length: the body ends when the connection closes.
        self.send_response(200)
        self.end_headers()
        self._write_quietly([b"z" * 256] * (8 * CAP // 256))

    def _too_large_chunked(self, _arg: str, _query: dict) -> None:
        self.protocol_version = "HTTP/1.1"
        self.close_connection = True
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"100\r\n" + b"z" * 256 + b"\r\n"  # 0x100 bytes each
        self._write_quietly([chunk] * (8 * CAP // 256) + [b"0\r\n\r\n"])

    def _trickle_body(self, _arg: str, _query: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "200")
        self.end_headers()
        self._write_quietly([b"."] * 200, pause=0.05)

    def _steady(self, _arg: str, query: dict) -> None:
        # 100 bytes every 20 ms for 1 s: 5000 bytes/s, in pieces far under a read chunk.
        self.send_response(200)
        self.send_header("Content-Length", "5000")
        self.end_headers()
        self._write_quietly([b"s" * 100] * 50, pause=0.02)

    def _trickle_headers(self, _arg: str, _query: dict) -> None:
        self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
        self._write_quietly([b"."] * 200, pause=0.05)

    def _reply(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str | None = None,
        location: str | None = None,
        content_length: bool = True,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if location is not None:
            self.send_header("Location", location)
        if content_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._write_quietly([body])

    def _write_quietly(self, pieces: list[bytes], pause: float = 0.0) -> None:
        """Write until done or until the client hangs up (which is what the client should do)."""
        try:
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(pause)  # the trickle itself, not a wait for ordering
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, dict[str, str]]]
    sni: list[str]


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Server, Path]]:
    """An HTTPS server whose self-signed certificate names only images.example.test."""
    cert = _self_signed("images.example.test", tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert)
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen, httpd.sni = [], []
    context.sni_callback = lambda _sock, name, _context: httpd.sni.append(name)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, cert
    httpd.shutdown()
    httpd.server_close()


def _self_signed(name: str, folder: Path) -> Path:
    """A PEM file with a key and a self-signed certificate for ``name``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = folder / "server.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return path


@pytest.fixture()
def base(server: _Server) -> str:
    server.seen.clear()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        host = address[0].strip("[]")
        assert ipaddress.ip_address(host).is_loopback, f"test tried to connect to {host}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)


def _resolving_to(*answers: str):
    """A fake getaddrinfo: the n-th call answers ``answers[n]`` (the last one repeats)."""
    calls: list[str] = []

    def resolve(host, port, family=0, type=0, proto=0, flags=0):
        calls.append(host)
        ip = answers[min(len(calls), len(answers)) - 1]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (ip, port))]

    resolve.calls = calls
    return resolve


def test_downloads_image(base: str, server: _Server) -> None:
    # when
    image = fetch_image(f"{base}/image", LOCAL)

    # then
    assert image == FetchedImage(data=IMAGE, content_type="image/png", final_url=f"{base}/image")
    _path, headers = server.seen[-1]
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept-Encoding"] == "identity"


def test_accepts_body_of_exactly_max_bytes(base: str) -> None:
    assert fetch_image(f"{base}/exact", LOCAL).data == b"y" * CAP


def test_pins_the_checked_address_and_keeps_the_host_name(server: _Server) -> None:
    # given: a name whose second answer would be the metadata service (DNS rebinding)
    port = server.server_address[1]
    resolve = _resolving_to("127.0.0.1", "169.254.169.254")

    # when
    image = fetch_image(f"http://images.example.test:{port}/echo-host", LOCAL, resolve=resolve)

    # then: resolved once, connected to that answer, Host header still the name
    assert resolve.calls == ["images.example.test"]
    assert image.data == f"images.example.test:{port}".encode()


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "[::ffff:127.0.0.1]"]
)
def test_refuses_loopback_without_allow_private(server: _Server, host: str) -> None:
    url = f"http://{host}:{server.server_address[1]}/image"
    server.seen.clear()

    with pytest.raises(BlockedAddressError) as caught:
        fetch_image(url, STRICT)

    assert caught.value.code == FailureCode.BLOCKED_ADDRESS
    assert server.seen == []


def test_refuses_name_resolving_to_private_address() -> None:
    resolve = _resolving_to("10.1.2.3")

    with pytest.raises(BlockedAddressError, match="intranet.example.test"):
        fetch_image("http://intranet.example.test/image", STRICT, resolve=resolve)


def test_refuses_redirect_to_metadata_service_even_with_allow_private(base: str) -> None:
    url = f"{base}/redirect?to=http://169.254.169.254/latest/meta-data/"

    with pytest.raises(BlockedAddressError):
        fetch_image(url, LOCAL)


def test_refuses_redirect_to_private_address(
    base: str, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the test server counts as public, so only the redirect target is private
    policy = addresses.is_forbidden_address

    def server_is_public(ip, *, allow_private):
        return ip != ipaddress.ip_address("127.0.0.1") and policy(ip, allow_private=allow_private)

    monkeypatch.setattr(addresses, "is_forbidden_address", server_is_public)
    target = f"http://127.0.0.2:{server.server_address[1]}/image"

    # when / then
    with pytest.raises(BlockedAddressError):
        fetch_image(f"{base}/redirect?to={target}", STRICT)
    assert [path for path, _ in server.seen] == [f"/redirect?to={target}"]


def test_follows_redirects_up_to_the_limit(base: str) -> None:
    image = fetch_image(f"{base}/chain/3", LOCAL)

    assert image.data == IMAGE
    assert image.final_url == f"{base}/chain/0"


def test_refuses_too_many_redirects(base: str, server: _Server) -> None:
    with pytest.raises(PermanentFetchError, match="too many redirects") as caught:
        fetch_image(f"{base}/chain/4", LOCAL)

    assert caught.value.code == FailureCode.TOO_MANY_REDIRECTS
    assert len(server.seen) == LOCAL.max_redirects + 1


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/image.png"])
def test_refuses_redirect_to_other_scheme(base: str, target: str) -> None:
    with pytest.raises(PermanentFetchError, match="scheme") as caught:
        fetch_image(f"{base}/redirect?to={target}", LOCAL)
    # Somewhere the worker will not go, like an internal address.
    assert caught.value.code == FailureCode.BLOCKED_ADDRESS


def test_refuses_announced_too_large_body_before_reading_it(base: str) -> None:
    # The server never sends the announced body: waiting for it would end in a timeout.
    with pytest.raises(PermanentFetchError, match="too large") as caught:
        fetch_image(f"{base}/announced-too-large", LOCAL)
    assert caught.value.code == FailureCode.TOO_LARGE


@pytest.mark.parametrize("route", ["too-large-close", "too-large-chunked"])
def test_stops_streamed_body_past_max_bytes(base: str, route: str) -> None:
    with pytest.raises(PermanentFetchError, match="too large") as caught:
        fetch_image(f"{base}/{route}", LOCAL)
    assert caught.value.code == FailureCode.TOO_LARGE


@pytest.mark.parametrize("route", ["trickle-body", "trickle-headers"])
def test_trickling_server_fails_at_total_deadline(base: str, route: str) -> None:
    # given: the server would take 10 s, sending a byte every 50 ms
    limits = FetchLimits(max_bytes=CAP, connect_timeout=1.0, total_timeout=1.5, allow_private=True)
    started = time.monotonic()

    # when
    with pytest.raises(TransientFetchError, match="took too long") as caught:
        fetch_image(f"{base}/{route}", limits)

    # then
    assert time.monotonic() - started < 5
    assert caught.value.code == FailureCode.DOWNLOAD_TIMEOUT


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, PermanentFetchError),
        (403, PermanentFetchError),
        (410, PermanentFetchError),
        (500, TransientFetchError),
        (503, TransientFetchError),
        (408, TransientFetchError),
        (429, TransientFetchError),
    ],
)
def test_http_status_decides_the_error_kind(base: str, status: int, error: type) -> None:
    with pytest.raises(error) as caught:
        fetch_image(f"{base}/status/{status}", LOCAL)

    assert type(caught.value) is error
    assert str(caught.value) == f"HTTP {status} from 127.0.0.1"
    assert caught.value.code == FailureCode.HTTP_STATUS
    assert caught.value.http_status == status


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/a.png", "file:///etc/passwd", "gopher://127.0.0.1/", "http:///a.png"]
)
def test_refuses_non_http_urls(url: str) -> None:
    with pytest.raises(PermanentFetchError) as caught:
        fetch_image(url, LOCAL)
    assert caught.value.code == FailureCode.BLOCKED_ADDRESS


def test_refuses_credentials_without_repeating_them(server: _Server) -> None:
    url = f"http://alice:s3cret@127.0.0.1:{server.server_address[1]}/image"
    server.seen.clear()

    with pytest.raises(PermanentFetchError, match="user name or password") as caught:
        fetch_image(url, LOCAL)

    assert "s3cret" not in str(caught.value) and "alice" not in str(caught.value)
    assert server.seen == []


def _no_dns(*args, **kwargs):
    raise AssertionError("an address literal must be judged without a DNS lookup")


@pytest.mark.parametrize(
    "url",
    [
        "http://[fe80::1%25lo]/latest/meta-data/",  # zone id: once retried as transient
        "http://[fe80::a9fe:a9fe%25eth0]:8080/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0xa9fea9fe/",  # 169.254.169.254 as browsers read it
    ],
)
def test_link_local_literals_are_blocked_at_once_even_with_allow_private(url: str) -> None:
    with pytest.raises(BlockedAddressError, match="not allowed") as caught:
        fetch_image(url, LOCAL, resolve=_no_dns)
    assert caught.value.code == FailureCode.BLOCKED_ADDRESS


def test_backslash_userinfo_trick_is_refused_before_any_request(server: _Server) -> None:
    # given: urllib.parse reads host 169.254.169.254 here, urllib3 reads 127.0.0.1
    url = f"http://127.0.0.1:{server.server_address[1]}\\@169.254.169.254/image"
    server.seen.clear()

    # when
    with pytest.raises(PermanentFetchError, match="backslash") as caught:
        fetch_image(url, LOCAL, resolve=_no_dns)

    # then
    assert not isinstance(caught.value, BlockedAddressError)
    assert server.seen == []


def test_redirect_to_backslash_trick_is_refused(base: str, server: _Server) -> None:
    target = f"http://127.0.0.1:{server.server_address[1]}\\@169.254.169.254/image"

    redirect = f"/redirect?to={quote(target, safe='')}"  # %5C: a backslash only once decoded

    with pytest.raises(PermanentFetchError, match="backslash"):
        fetch_image(base + redirect, LOCAL)
    assert [path for path, _ in server.seen] == [redirect]


def test_sends_the_normalized_url(server: _Server) -> None:
    # given: a numeric host and an escaped unreserved character, as browsers read them
    port = server.server_address[1]

    image = fetch_image(f"HTTP://2130706433:{port}/%69mage#part", LOCAL)

    assert image.final_url == f"http://127.0.0.1:{port}/image"
    assert server.seen[-1][0] == "/image"


def test_slow_download_is_cut_off_after_the_grace_window(base: str) -> None:
    # given: 20 bytes/s, far under the minimum, and a total deadline far away
    limits = FetchLimits(max_bytes=CAP, connect_timeout=1.0, total_timeout=8.0,
                         allow_private=True, min_rate=1024, min_rate_grace=0.5)
    started = time.monotonic()

    # when
    with pytest.raises(TransientFetchError, match="slower than 1024 bytes/s") as caught:
        fetch_image(f"{base}/trickle-body", limits)

    # then: cut at the end of the grace window, not at the total deadline
    assert time.monotonic() - started < 3
    assert caught.value.code == FailureCode.DOWNLOAD_TIMEOUT


def test_slow_headers_are_cut_off_too(base: str) -> None:
    limits = FetchLimits(max_bytes=CAP, connect_timeout=1.0, total_timeout=8.0,
                         allow_private=True, min_rate=1024, min_rate_grace=0.5)

    with pytest.raises(TransientFetchError, match="slower than") as caught:
        fetch_image(f"{base}/trickle-headers", limits)
    assert caught.value.code == FailureCode.DOWNLOAD_TIMEOUT


def test_download_over_the_minimum_rate_completes(base: str) -> None:
    # given: 5000 bytes/s in 100-byte pieces, each far under a read chunk
    limits = FetchLimits(max_bytes=10_000, connect_timeout=1.0, total_timeout=8.0,
                         allow_private=True, min_rate=1024, min_rate_grace=0.3)

    assert fetch_image(f"{base}/steady", limits).data == b"s" * 5000


def test_connection_refused_is_transient() -> None:
    # given: a port nothing listens on
    port = free_port()

    with pytest.raises(TransientFetchError, match="connection to 127.0.0.1 failed") as caught:
        fetch_image(f"http://127.0.0.1:{port}/image", LOCAL)
    assert caught.value.code == FailureCode.CONNECTION_FAILED


def test_given_session_gets_the_address_check(base: str, server: _Server) -> None:
    # given: a plain session, which on its own would connect anywhere
    session = requests.Session()
    port = server.server_address[1]

    # when / then
    with pytest.raises(BlockedAddressError):
        fetch_image(f"http://localhost:{port}/image", STRICT, session=session)
    assert fetch_image(f"{base}/image", LOCAL, session=session).data == IMAGE
    assert fetch_image(f"{base}/image", LOCAL, session=session).data == IMAGE
    session.close()


def test_https_connects_to_checked_address_but_verifies_the_host_name(
    tls_server: tuple[_Server, Path],
) -> None:
    # given: the certificate is trusted and names the host, not the address connected to
    httpd, cert = tls_server
    port = httpd.server_address[1]
    session = requests.Session()
    session.verify = str(cert)

    # when
    image = fetch_image(
        f"https://images.example.test:{port}/echo-host",
        LOCAL,
        session=session,
        resolve=_resolving_to("127.0.0.1"),
    )

    # then
    assert image.data == f"images.example.test:{port}".encode()
    assert httpd.sni[-1] == "images.example.test"
    session.close()


def test_https_refuses_a_certificate_for_another_name(tls_server: tuple[_Server, Path]) -> None:
    httpd, cert = tls_server
    session = requests.Session()
    session.verify = str(cert)
    url = f"https://other.example.test:{httpd.server_address[1]}/image"

    tls_failed = pytest.raises(TransientFetchError, match="TLS handshake with other.example.test")
    with tls_failed as caught:
        fetch_image(url, LOCAL, session=session, resolve=_resolving_to("127.0.0.1"))
    assert caught.value.code == FailureCode.CONNECTION_FAILED
    session.close()


def test_refuses_to_connect_where_requests_reads_another_host(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a parser that, wrongly, reads another host than the one requests connects to
    from core import urls
    from jobs import fetch

    def misread(text: str) -> SimpleNamespace:
        url = urls.parse_image_url(text).url
        return SimpleNamespace(host="images.example.test", ip=None, url=url)

    monkeypatch.setattr(fetch, "parse_image_url", misread)
    server.seen.clear()

    # when / then
    with pytest.raises(PermanentFetchError, match="ambiguous") as caught:
        fetch_image(f"http://127.0.0.1:{server.server_address[1]}/image", LOCAL)
    assert caught.value.code == FailureCode.BLOCKED_ADDRESS
    assert server.seen == []
