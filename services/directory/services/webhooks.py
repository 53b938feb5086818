"""Checking webhook URLs and making webhook secrets (Standard Webhooks)."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

SECRET_BYTES = 32
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(host: str) -> IPAddress | None:
    """The address ``host`` stands for when it is written as one, in any form a resolver
    accepts (``2130706433``, ``0x7f.1`` and ``0177.0.0.1`` are all 127.0.0.1); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _is_loopback(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    address = _address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address is not None and address.is_loopback


def _not_public(host: str) -> str | None:
    """What kind of non-public address ``host`` names (``loopback``, ``private``, …), or None
    for a public address or a host name. Names are checked by the router each time it
    delivers, against every address they then resolve to."""
    if _is_loopback(host):
        return "loopback"
    address = _address(host)
    if address is None:
        return None
    carried: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):  # IPv4 inside IPv6: mapped, 6to4, Teredo
        carried += [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
        carried += list(address.teredo or ())
    for each in carried:
        for kind, bad in (
            ("unspecified", each.is_unspecified),
            ("link-local", each.is_link_local),
            ("multicast", each.is_multicast),
            ("private", each.is_private),
            ("reserved", each.is_reserved),
            ("non-public", not each.is_global),
        ):
            if bad:
                return kind
    return None


def url_problem(url: str, *, allow_insecure: bool) -> str | None:
    """Why ``url`` may not receive webhooks, or None if it may.

    Handovers carry victims' data, so only https is accepted, and only to a public host: a
    loopback, private, link-local or otherwise non-public address is refused (SSRF). The
    development setting (``allow_insecure``) lets loopback through, over http too.
    """
    if any(not 0x21 <= ord(c) <= 0x7E for c in url):
        return "must be plain ASCII with no spaces (write international host names in punycode)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    del port
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return "must be an https:// URL"
    host = parts.hostname
    if not host:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password (the secret signs each delivery)"
    if parts.fragment:
        return "must not have a #fragment"
    if scheme == "http":
        if not allow_insecure:
            return "must use https (http is allowed only to loopback, in development)"
        if not _is_loopback(host):
            return "may use http only to a loopback host (127.0.0.1, ::1, localhost)"
    kind = _not_public(host)
    if kind == "loopback" and not allow_insecure:
        return "must name a public host (loopback addresses are allowed in development only)"
    if kind is not None and kind != "loopback":
        return f"must name a public host ({kind} addresses are refused)"
    return None
