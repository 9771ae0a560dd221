"""Where a request comes from: the client's address, TLS, and what counts as this machine.

Behind a reverse proxy listed in `[server] trusted_proxies` the client is the nearest address
of X-Forwarded-For that is not a trusted proxy, and X-Forwarded-Proto says whether TLS was used;
from anyone else those headers are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from flask import Request

from runtime.http import parse_networks

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded",
                      "X-Real-IP")


def trusted_networks(settings: dict) -> list[Network]:
    """Return the networks of `[server] trusted_proxies` (ValueError naming a bad entry)."""
    return parse_networks(settings.get("server", {}).get("trusted_proxies") or [])


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return an IP address from text (an IPv4-mapped IPv6 address as IPv4), None if not one."""
    try:
        address = ipaddress.ip_address((text or "").strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(text: str | None, trusted: Sequence[Network]) -> bool:
    """Return whether an address is one of the trusted proxies."""
    address = _address(text)
    return address is not None and any(address in network for network in trusted)


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    """Return the client's address, looking past trusted proxies only."""
    peer = request.remote_addr or ""
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if _address(hop) is None:
            break  # not an address: the header is not a proxy's, trust none of it
        if not _trusted(hop, trusted):
            return str(_address(hop))
    return peer


def over_tls(request: Request, trusted: Sequence[Network]) -> bool:
    """Return whether the client used TLS: the scheme, or a trusted proxy's X-Forwarded-Proto."""
    if _trusted(request.remote_addr, trusted):
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if forwarded:
            return forwarded == "https"
    return request.scheme == "https"


def is_loopback(host: str | None) -> bool:
    """Return whether a bind address or client address is this machine's loopback."""
    if (host or "").strip().lower() == "localhost":
        return True
    address = _address(host)
    return address is not None and address.is_loopback


def host_is_loopback(host_header: str | None) -> bool:
    """Return whether a Host header names this machine (a page under another name must not
    reach a local admin: DNS rebinding points a name of the attacker's at 127.0.0.1)."""
    host = (host_header or "").strip()
    if host.startswith("["):
        name = host[1:].partition("]")[0]
    else:
        name = host.rpartition(":")[0] if host.count(":") == 1 else host
    return is_loopback(name)


def forwarded(request: Request) -> bool:
    """Return whether a proxy passed the request on (it came from elsewhere, then)."""
    return any(name in request.headers for name in FORWARDING_HEADERS)
