"""The check of a webhook URL when it is registered (docs/api.md): a URL that can never
be delivered to is refused then, with the address rules that every delivery applies again
(:mod:`core.addresses`, as image downloads do).

Refused: what :func:`core.urls.parse_image_url` refuses (not http(s), userinfo, forms that
parsers read differently), a literal address the rules block, and a host name whose
resolution now includes a blocked address (a delivery would refuse it too). A name that does
not resolve (yet) is accepted: DNS may be set up after the endpoint, and each delivery
resolves, checks and pins the address again, so a name that later resolves to a blocked
address is refused at delivery.
"""

from __future__ import annotations

import socket

from core.addresses import Resolver, answer_addresses, is_forbidden_address
from core.urls import parse_image_url


def webhook_url_problem(url: str, *, allow_private: bool,
                        resolve: Resolver = socket.getaddrinfo) -> str | None:
    """Why ``url`` can never receive deliveries (a sentence about `url`), or None."""
    try:
        parsed = parse_image_url(url)
    except ValueError as error:
        return f"`url` {error}"
    if parsed.ip is not None:
        if is_forbidden_address(parsed.ip, allow_private=allow_private):
            return "`url` names an address that deliveries may not reach"
        return None
    try:
        answers = resolve(parsed.host, parsed.effective_port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    if any(is_forbidden_address(ip, allow_private=allow_private)
           for ip in answer_addresses(answers)):
        # Which address stays unsaid: the API must not become an oracle of internal DNS.
        return "`url` has a host that resolves to an address deliveries may not reach"
    return None
