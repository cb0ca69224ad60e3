"""The one parser of image URLs: the API validates with it and the worker fetches with it.

Two parsers that disagree about a URL's host are an SSRF hole: ``http://a\\@b/`` is host ``b``
to urllib.parse and host ``a`` to urllib3 and browsers. So an image URL is parsed here, the
forms parsers are known to read differently (backslashes, userinfo, whitespace and control
characters, percent-encoded or non-ASCII hosts) are refused, and the worker connects to the
normalized text of :attr:`ImageUrl.url`, which has no such forms left to misread.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_ZONE = re.compile(r"[A-Za-z0-9._~-]+")
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNRESERVED_ESCAPE = re.compile(r"%(2[DEde]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])")
# What requests leaves unquoted (requests.utils.requote_uri), so the text sent is ours.
_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True)
class ImageUrl:
    """A parsed image URL. ``host`` is a lowercase name, a dotted IPv4 address or an IPv6
    address without brackets (its zone id after ``%``, as :mod:`ipaddress` writes it)."""

    scheme: str
    host: str
    port: int | None
    target: str  # path and query, from "/" on, percent-encoded ASCII
    ip: IPAddress | None  # the host, when it is an address literal

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.scheme]

    @property
    def url(self) -> str:
        if isinstance(self.ip, ipaddress.IPv6Address):
            zone = f"%25{self.ip.scope_id}" if self.ip.scope_id else ""
            named = f"[{ipaddress.IPv6Address(int(self.ip))}{zone}]"
        else:
            named = self.host
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{named}{port}{self.target}"


def parse_image_url(text: str) -> ImageUrl:
    """Parse an absolute http(s) URL, or raise ``ValueError`` saying what is wrong with it.

    The message completes a sentence whose subject is the URL: "... must not contain ...".
    """
    if any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError("must not contain whitespace or control characters")
    if "\\" in text:
        raise ValueError("must not contain backslashes (URL parsers read them differently)")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    if scheme not in DEFAULT_PORTS or not text[match.end():].startswith("//"):
        raise ValueError("must be an absolute URL with the http or https scheme")
    rest = text[match.end() + 2:].partition("#")[0]  # the fragment is never sent
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    if "@" in authority:
        raise ValueError("must not contain a user name or password")
    host_text, port = _split_port(authority)
    ip, host = _host(host_text)
    if port == DEFAULT_PORTS[scheme]:
        port = None
    return ImageUrl(scheme, host, port, _target(target), ip)


def _split_port(authority: str) -> tuple[str, int | None]:
    if authority.startswith("["):
        host, bracket, after = authority.partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise ValueError("has an invalid IPv6 address")
        host, port = host + "]", after[1:] if after else ""
    else:
        host, _, port = authority.partition(":")
    if not port:
        return host, None
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise ValueError("has an invalid port")
    return host, int(port)


def _host(text: str) -> tuple[IPAddress | None, str]:
    if not text:
        raise ValueError("must have a host")
    if text.startswith("["):
        address, _, zone = text[1:-1].partition("%25")  # RFC 6874 writes the zone "%25..."
        try:
            if "%" in address:
                raise ValueError  # a bare % zone: ipaddress would take it, urllib3 would not
            ip = ipaddress.IPv6Address(address)
            if zone:
                if not _ZONE.fullmatch(zone):
                    raise ValueError
                ip = ipaddress.IPv6Address(f"{ip}%{zone}")
        except ValueError:
            raise ValueError("has an invalid IPv6 address") from None
        return ip, str(ip)
    if not text.isascii():
        raise ValueError("must write its host name in ASCII (punycode)")
    name = text.lower()
    labels = name.removesuffix(".").split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("has an invalid host name")
    if re.fullmatch(r"0x[0-9a-f]*|[0-9]+", labels[-1]):
        ip4 = _ipv4(labels)  # as browsers read it: 127.1, 0x7f.0.0.1, 2130706433
        return ip4, str(ip4)
    return None, name


def _ipv4(parts: list[str]) -> ipaddress.IPv4Address:
    """The WHATWG URL standard's IPv4 parser: up to four decimal, octal or hex parts."""
    invalid = ValueError("has an invalid IPv4 address")
    if len(parts) > 4:
        raise invalid
    numbers = []
    for part in parts:
        if part.startswith("0x"):
            digits, base = part[2:] or "0", 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        try:
            numbers.append(int(digits, base))
        except ValueError:
            raise invalid from None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise invalid
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(leading))
    return ipaddress.IPv4Address(value)


def _target(target: str) -> str:
    if _ESCAPE.search(target):
        raise ValueError("has a % that does not start a percent-escape")
    if not target.startswith("/"):
        target = "/" + target
    # requests decodes escapes of unreserved characters and quotes the rest: done here first.
    target = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), target)
    return quote(target, safe=_SAFE)
