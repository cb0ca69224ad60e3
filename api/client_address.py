"""The client's address, for the per-address limit of sign-ups.

The connection's own address, unless it comes from a configured proxy: then the proxy's
``X-Forwarded-For`` is read from the right, past every trusted proxy, to the first address a
proxy reported. Entries further left were written by whoever sent the request and prove
nothing, so a client cannot pick its own bucket by sending the header itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import falcon

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    """The ``TRUSTED_PROXIES`` setting as networks."""
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parsed(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def client_address(req: falcon.Request, trusted: tuple[Network, ...]) -> str:
    """The address that sent ``req``, as far as the trusted proxies vouch for it.

    A hop that is not an address (``unknown``, garbage) ends the walk at the last proxy, so
    what becomes a bucket's name is always a normalized address.
    """
    address = _parsed(req.remote_addr or "")
    if address is None:
        return req.remote_addr or ""
    forwarded = req.get_header("X-Forwarded-For") or ""
    hops = [part.strip() for part in forwarded.split(",")]
    while any(address in network for network in trusted) and hops:
        hop = _parsed(hops.pop())
        if hop is None:
            break
        address = hop
    return str(address)
