"""api.client_address: whose bucket a sign-up takes its token from."""

from __future__ import annotations

import pytest
from falcon import testing

from api.client_address import client_address, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "192.0.2.7"])


def address(remote: str, forwarded: str | None = None, trusted=PROXIES) -> str:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client_address(testing.create_req(remote_addr=remote, headers=headers), trusted)


def test_without_trusted_proxies_the_connection_is_the_client():
    assert address("203.0.113.5", "198.51.100.1", trusted=()) == "203.0.113.5"


def test_a_header_from_an_untrusted_address_is_ignored():
    assert address("203.0.113.5", "198.51.100.1") == "203.0.113.5"


def test_a_trusted_proxy_names_the_client():
    assert address("10.1.2.3", "198.51.100.1") == "198.51.100.1"


def test_the_walk_stops_at_the_first_address_no_trusted_proxy_vouches_for():
    # the client wrote 1.1.1.1 itself; its real address was appended by the proxies
    assert address("10.1.2.3", "1.1.1.1, 198.51.100.1, 192.0.2.7") == "198.51.100.1"


@pytest.mark.parametrize("forwarded", ["", "unknown", "10.0.0.9, not-an-address", " , "])
def test_a_header_that_names_no_address_leaves_the_last_proxy(forwarded):
    assert address("10.1.2.3", forwarded) == "10.1.2.3"


def test_addresses_are_normalized():
    assert address("10.1.2.3", "2001:DB8::0:1") == "2001:db8::1"
    assert address("::ffff:10.1.2.3", "198.51.100.1") == "198.51.100.1"
