"""Checking webhook URLs and making webhook secrets (Standard Webhooks)."""

from __future__ import annotations

import base64
import ipaddress
import secrets
from urllib.parse import urlsplit

SECRET_BYTES = 32
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, allow_insecure: bool) -> str | None:
    """Why ``url`` may not receive webhooks, or None if it may.

    Handovers carry victims' data, so only https is accepted; plain http is allowed to a
    loopback address alone, and only when the development setting allows it.
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
    return None
