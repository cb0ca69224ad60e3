"""Which IP addresses the system may connect to on a stranger's behalf: the SSRF policy of
image downloads and webhook deliveries, one implementation for the worker (which connects) and
the API (which refuses a webhook URL that can never be reached).

Strangers choose the image and webhook URLs, so a worker must never be talked into reaching its
own network: loopback, private (RFC 1918), shared/CGNAT, link-local (the cloud metadata service
at 169.254.169.254), multicast, reserved and unspecified addresses, nor IPv6 forms that carry
one of those IPv4 addresses inside (IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo).

``allow_private`` opens loopback, RFC 1918, CGNAT and IPv6 unique-local ranges for local
development and tests; link-local, multicast, reserved and unspecified stay closed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Anything called like :func:`socket.getaddrinfo` (tests inject one to fake DNS answers).
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

# What allow_private opens. CGNAT counts: overlay networks such as Tailscale use it in dev.
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
    )
)

# Special ranges that ipaddress's is_global/is_reserved miss in some Python versions.
_ALWAYS_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "fec0::/10",  # deprecated site-local, still routed inside some networks
        "64:ff9b:1::/48",  # local-use NAT64: translates into the operator's own network
        "5f00::/16",  # SRv6 segment identifiers
        "3fff::/20",  # documentation
    )
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def is_forbidden_address(ip: IPAddress, *, allow_private: bool) -> bool:
    """Whether the fetcher must refuse to connect to ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            # A zone id only matters to link-local and other scoped addresses, and picks an
            # interface of the worker's own: no public source ever needs one.
            return True
        if ip.ipv4_mapped is not None:
            # The kernel really talks IPv4 to the mapped address, so that is what is judged.
            return is_forbidden_address(ip.ipv4_mapped, allow_private=allow_private)
        tunneled = _tunneled_ipv4(ip)
        if tunneled:
            # Translation and tunnel forms never lead to a developer's own machine, so
            # allow_private does not open them.
            return any(is_forbidden_address(v4, allow_private=False) for v4 in tunneled)
    if allow_private and any(ip in net for net in _PRIVATE_NETWORKS):
        return False
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or any(ip in net for net in _ALWAYS_BLOCKED)
    )


def _tunneled_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses that an IPv6 translation or tunnel address delivers to."""
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):  # ::/96 minus :: and ::1
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)  # (server, client): either one is contacted
    return []


def answer_addresses(answers: Sequence[tuple[Any, ...]]) -> list[IPAddress]:
    """The IPv4 and IPv6 addresses among :func:`socket.getaddrinfo` answers."""
    return [ipaddress.ip_address(sockaddr[0])
            for family, _type, _proto, _name, sockaddr in answers
            if family in (socket.AF_INET, socket.AF_INET6)]
