"""Where a webhook may be sent: URL rules and the SSRF guard.

A target is refused when its scheme is not http(s), when the URL carries credentials, or when its
host resolves to any address that is not a public one (private, loopback, link-local, multicast,
reserved, unspecified, shared/CGNAT, and the IPv4-mapped or IPv4-compatible IPv6 forms of those).
Every address the name resolves to is checked, not just the first, and the check is made again at
delivery time, immediately before connecting to the very address that passed: a DNS answer that
changes between the check and the connection (DNS rebinding) cannot redirect the post.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from accord.core.errors import ApplicationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to ``address`` and say ``host`` in the Host header (and TLS SNI)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def url_refusal(url: str) -> str:
    """Why ``url`` cannot be a webhook target on its face (before any DNS), or '' when it may be."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password; authenticate with the signature instead"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has an invalid port"
    return ""


def address_refusal(address: IPAddress) -> str:
    """Why connecting to ``address`` is refused, or '' for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or _ipv4_compatible(address) or address.sixtofour
        if embedded is not None:
            reason = address_refusal(embedded)
            return f"{reason} (IPv4 inside IPv6)" if reason else ""
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, label in checks:
        if getattr(address, attribute):
            return label
    if not address.is_global:
        return "not a public address"
    return ""


def _ipv4_compatible(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # ::a.b.c.d (deprecated, but some stacks still route it as IPv4).
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ApplicationError(
            f"The host {host!r} cannot be resolved: {exc}.", detail={"url": "unresolvable"}, status=422
        ) from None
    found: list[IPAddress] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(text)
        if address not in found:
            found.append(address)
    if not found:
        raise ApplicationError(
            f"The host {host!r} has no addresses.", detail={"url": "unresolvable"}, status=422
        )
    return found


def target_check(url: str, *, allow_private: bool) -> Target:
    """Parse, resolve and check ``url``; raises ApplicationError (422) naming the reason it is refused."""
    reason = url_refusal(url)
    if reason:
        raise ApplicationError(f"The webhook URL {reason}.", detail={"url": reason}, status=422)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not allow_private:
        for address in addresses:
            refusal = address_refusal(address)
            if refusal:
                raise ApplicationError(
                    f"The webhook URL's host {host} resolves to {address}, {refusal}; "
                    "only an admin may allow "
                    "targets inside the network.",
                    detail={"url": f"resolves to {refusal}"},
                    status=422,
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=str(addresses[0]))
