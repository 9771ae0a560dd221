"""Which addresses outbound HTTP from flows may reach; resolving host names under that policy."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from typing import Awaitable, Callable, Iterable, Union

from blocks.sdk import BlockError

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
Resolver = Callable[[str, int], Awaitable[list]]

ALLOW_HINT = "allow it with CALLWRIGHT_HTTP_ALLOW or [http] allow"

# Checked in order; the first match names the refusal. Anything else that is not globally
# routable (documentation, benchmarking, protocol-assignment ranges...) is "reserved".
_REFUSED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), kind) for cidr, kind in (
        ("0.0.0.0/8", "an unspecified address"),
        ("::/128", "an unspecified address"),
        ("127.0.0.0/8", "a loopback address"),
        ("::1/128", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("fe80::/10", "a link-local address"),
        ("10.0.0.0/8", "a private address"),
        ("172.16.0.0/12", "a private address"),
        ("192.168.0.0/16", "a private address"),
        ("fc00::/7", "a private address"),
        ("100.64.0.0/10", "a shared address (carrier-grade NAT)"),
        ("224.0.0.0/4", "a multicast address"),
        ("ff00::/8", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/96", "a reserved address"),  # IPv4-compatible IPv6, deprecated
    ))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+", re.ASCII)
_OCTAL = re.compile(r"0[0-7]+", re.ASCII)
_DECIMAL = re.compile(r"[1-9][0-9]*|0", re.ASCII)


def parse_networks(cidrs: Iterable[str]) -> list[IPNetwork]:
    """Parse CIDRs (a bare address is a /32 or /128); raise ValueError naming a bad entry."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{cidr!r} is not a CIDR network such as 10.0.0.0/8") from None
    return networks


def numeric_address(host: str) -> IPAddress | None:
    """Return the address a numeric host stands for, in any form a resolver accepts, else None.

    Besides dotted quads and IPv6 this reads the inet_aton forms (`127.1`, `2130706433`,
    `0x7f000001`, `0177.0.0.1`) ourselves, so the policy never depends on the C library.
    """
    try:
        return canonical(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    try:
        numbers = [_inet_aton_part(part) for part in parts]
    except ValueError:
        return None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _inet_aton_part(part: str) -> int:
    """Read one part of an inet_aton address: decimal, 0-prefixed octal or 0x-prefixed hex."""
    if _HEX.fullmatch(part):
        return int(part[2:], 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    if _DECIMAL.fullmatch(part):
        return int(part)
    raise ValueError(part)


def canonical(address: IPAddress) -> IPAddress:
    """Return an IPv4-mapped IPv6 address as plain IPv4, and any other address unchanged."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).partition("%")[0])
    return address


def classify(address: IPAddress) -> str | None:
    """Return what makes an address non-public (`a loopback address`...), None when public."""
    address = canonical(address)
    embedded = _embedded_ipv4(address)
    if embedded is not None and classify(embedded) is not None:
        return classify(embedded)
    for network, kind in _REFUSED:
        if address.version == network.version and address in network:
            return kind
    return None if address.is_global else "a reserved address"


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address a NAT64 or 6to4 address reaches, else None."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


class AddressPolicy:
    """Refuses non-public addresses unless an allowed network holds them."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self.allow = parse_networks(allow)
        self._resolve = resolver or lookup

    def allowed(self, address: IPAddress) -> bool:
        """Return True when an allowed network holds the address (or the IPv4 it embeds)."""
        candidates = [canonical(address)]
        embedded = _embedded_ipv4(candidates[0])
        if embedded is not None:
            candidates.append(embedded)
        return any(a.version == n.version and a in n for a in candidates for n in self.allow)

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Return why the policy refuses to connect to `address` for `host`, or None."""
        kind = classify(address)
        if kind is None or self.allowed(address):
            return None
        what = f"{address} is" if str(address) == host else f"{host} resolves to {address},"
        return f"refused: {what} {kind}; {ALLOW_HINT}"

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Return every address of `host`, all checked; raise BlockError when any is refused."""
        numeric = numeric_address(host)
        if numeric is not None:
            addresses = [numeric]
        else:
            addresses = [canonical(a) for a in await self._resolve(host, port)]
        for address in addresses:
            reason = self.refusal(host, address)
            if reason is not None:
                # One refused address refuses the name: a resolver may hand out any of them.
                raise BlockError(reason)
        return addresses


async def lookup(host: str, port: int) -> list[IPAddress]:
    """Resolve a host name to its distinct addresses, in the resolver's order."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise BlockError(f"cannot resolve {host}: {reason}") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = canonical(ipaddress.ip_address(str(sockaddr[0]).partition("%")[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise BlockError(f"cannot resolve {host}: no address")
    return addresses
