"""Tests for jobs.addresses: the SSRF address policy and the resolve-once check.

Pure functions only: no test here opens a connection, so public addresses are safe to name.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from jobs.addresses import is_forbidden_address, resolve_allowed
from jobs.errors import BlockedAddressError, TransientFetchError
from models.failures import FailureCode

# address, forbidden when allow_private=False, forbidden when allow_private=True
POLICY = [
    # private and loopback: opened by allow_private
    ("10.0.0.1", True, False),
    ("172.16.0.1", True, False),
    ("192.168.1.1", True, False),
    ("100.64.0.1", True, False),  # CGNAT
    ("127.0.0.1", True, False),
    ("::1", True, False),
    ("::ffff:127.0.0.1", True, False),  # IPv4-mapped loopback
    ("fd00::1", True, False),  # unique-local
    # never allowed
    ("169.254.169.254", True, True),  # cloud metadata
    ("::ffff:169.254.169.254", True, True),
    ("fe80::1", True, True),
    ("224.0.0.1", True, True),
    ("ff02::1", True, True),
    ("0.0.0.0", True, True),
    ("::", True, True),
    ("240.0.0.1", True, True),
    ("255.255.255.255", True, True),
    ("fec0::1", True, True),  # site-local
    ("fe80::1%lo", True, True),  # with a zone id
    ("2606:4700::1%eth0", True, True),  # a zone id on a public address: never needed
    # IPv6 forms carrying a forbidden IPv4: not opened by allow_private
    ("2002:7f00:0001::1", True, True),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", True, True),  # 6to4 of 169.254.169.254
    ("64:ff9b::7f00:1", True, True),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", True, True),  # NAT64 of 169.254.169.254
    ("64:ff9b::a00:1", True, True),  # NAT64 of 10.0.0.1
    ("::7f00:1", True, True),  # IPv4-compatible 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", True, True),  # Teredo, client 127.0.0.1
    # public
    ("93.184.216.34", False, False),
    ("2606:4700::1", False, False),
    ("::ffff:93.184.216.34", False, False),
    ("2002:5db8:d822::1", False, False),  # 6to4 of a public address
    ("64:ff9b::5db8:d822", False, False),  # NAT64 of a public address
]


@pytest.mark.parametrize(("address", "without_private", "with_private"), POLICY)
def test_policy_table(address: str, without_private: bool, with_private: bool) -> None:
    ip = ipaddress.ip_address(address)

    assert is_forbidden_address(ip, allow_private=False) is without_private
    assert is_forbidden_address(ip, allow_private=True) is with_private


def _answers(*addresses: str):
    """A fake getaddrinfo answering ``addresses`` for any name, recording its calls."""
    calls: list[str] = []

    def resolve(host, port, family=0, type=0, proto=0, flags=0):
        calls.append(host)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    resolve.calls = calls
    return resolve


def test_resolve_allowed_returns_first_answer() -> None:
    # given
    resolve = _answers("93.184.216.34", "2606:4700::1")

    # when
    ip = resolve_allowed("images.example.test", 443, allow_private=False, resolve=resolve)

    # then
    assert ip == ipaddress.ip_address("93.184.216.34")
    assert resolve.calls == ["images.example.test"]


def test_resolve_allowed_refuses_if_any_answer_is_forbidden() -> None:
    resolve = _answers("93.184.216.34", "10.0.0.1")

    with pytest.raises(BlockedAddressError) as caught:
        resolve_allowed("mixed.example.test", 80, allow_private=False, resolve=resolve)

    # The internal address is logged, not shown to the API client.
    assert "10.0.0.1" not in str(caught.value)
    assert "mixed.example.test" in str(caught.value)


def test_resolve_allowed_keeps_link_local_closed_with_allow_private() -> None:
    resolve = _answers("127.0.0.1", "169.254.169.254")

    with pytest.raises(BlockedAddressError) as caught:
        resolve_allowed("metadata.example.test", 80, allow_private=True, resolve=resolve)
    assert caught.value.code == FailureCode.BLOCKED_ADDRESS


def test_resolution_failure_is_transient() -> None:
    def resolve(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(TransientFetchError, match="could not resolve nowhere.example.test") as e:
        resolve_allowed("nowhere.example.test", 80, allow_private=False, resolve=resolve)
    assert e.value.code == FailureCode.CONNECTION_FAILED


def test_no_usable_answer_is_transient() -> None:
    with pytest.raises(TransientFetchError) as caught:
        resolve_allowed("empty.example.test", 80, allow_private=False, resolve=_answers())
    assert caught.value.code == FailureCode.CONNECTION_FAILED
