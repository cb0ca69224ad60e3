"""The image fetcher's address checks: the policy of :mod:`core.addresses` applied to a URL's
literal address and to every answer of one resolution, raising the pipeline's errors.
"""

from __future__ import annotations

import logging
import socket

from urllib3.util.connection import allowed_gai_family

from core.addresses import IPAddress, Resolver, answer_addresses, is_forbidden_address
from jobs.errors import BlockedAddressError, TransientFetchError
from models.failures import FailureCode

__all__ = ["IPAddress", "Resolver", "check_literal", "is_forbidden_address", "resolve_allowed"]

logger = logging.getLogger(__name__)


def check_literal(ip: IPAddress, *, allow_private: bool) -> None:
    """Raise :class:`BlockedAddressError` if a URL names the forbidden address ``ip`` itself."""
    if is_forbidden_address(ip, allow_private=allow_private):
        raise BlockedAddressError(f"{ip} is an address that is not allowed")


def resolve_allowed(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo
) -> IPAddress:
    """Resolve ``host`` once and return the address to connect to.

    Every answer must pass, not just the one used: a name mixing public and internal records
    is refused outright rather than trusted to keep answering with the public one.
    """
    try:
        answers = resolve(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise _unresolved(host) from e
    addresses = answer_addresses(answers)
    if not addresses:
        raise _unresolved(host)
    forbidden = [ip for ip in addresses if is_forbidden_address(ip, allow_private=allow_private)]
    if forbidden:
        # The addresses go to the log only: echoing them to API clients would turn this
        # into an oracle for the internal DNS.
        logger.warning("refused %s: resolves to forbidden %s", host, [str(ip) for ip in forbidden])
        raise BlockedAddressError(f"{host} resolves to an address that is not allowed")
    return addresses[0]


def _unresolved(host: str) -> TransientFetchError:
    # A name that does not resolve is a source that cannot be reached, like a refused
    # connection: a DNS outage looks the same from here, hence transient.
    return TransientFetchError(f"could not resolve {host}", code=FailureCode.CONNECTION_FAILED)
