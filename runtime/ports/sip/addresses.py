"""Addresses of the SIP backend: HOST:PORT settings, the address callers are told, numbers."""

from __future__ import annotations

import socket
from urllib.parse import unquote

from aiosipua import parse_uri


def split_hostport(value: str) -> tuple[str, int]:
    """Return (host, port) of `HOST:PORT` (`[::1]:5060` for IPv6); raise ValueError."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT (for example 127.0.0.1:5060)")
    return host.strip("[]"), int(port)


def wildcard(host: str) -> bool:
    """Say whether a listening host means every address (`0.0.0.0`, `::`)."""
    return host in ("", "0.0.0.0", "::")


def local_address(family: int = 4) -> str:
    """Return this machine's address on its default route (no packet is sent), else loopback."""
    probe, loopback = ("192.0.2.1", "127.0.0.1") if family == 4 else ("2001:db8::1", "::1")
    try:
        with socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6,
                           socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))  # a UDP connect only picks the route and its source
            return sock.getsockname()[0]
    except OSError:
        return loopback


def user_part(uri: str) -> str:
    """Return the user part of a SIP URI, unescaped (`sip:%2B4930@host` -> `+4930`)."""
    try:
        return unquote(parse_uri(uri).user or "")
    except Exception:  # the stack's parser on a URI it cannot read: no user, no route
        return ""
