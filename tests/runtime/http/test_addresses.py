"""The outbound network policy: which addresses flows may reach, in whatever form written."""

import asyncio
import ipaddress

import pytest

from blocks.sdk import BlockError
from runtime.http.addresses import AddressPolicy, classify, lookup, numeric_address, parse_networks


@pytest.mark.parametrize("host, address", [
    ("127.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0X7F.0.0.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("10.65535", "10.0.255.255"),
    ("[::ffff:127.0.0.1]", "127.0.0.1"),
    ("::ffff:7f00:1", "127.0.0.1"),
    ("::1", "::1"),
    ("fe80::1%eth0", "fe80::1"),
])
def test_numeric_hosts_in_every_resolver_form_are_read_as_their_address(host, address):
    assert numeric_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "localhost", "08.0.0.1", "0x", "1.2.3.256",
                                  "1.2.65536", "4294967296", "1.2.3.4.5", "0x7f_000001", "+1"])
def test_names_and_malformed_numbers_are_not_addresses(host):
    assert numeric_address(host) is None


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "a loopback address"),
    ("127.255.0.9", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.0.0.1", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fd00::1", "a private address"),
    ("169.254.169.254", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("100.64.0.1", "a shared address (carrier-grade NAT)"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    ("192.0.2.10", "a reserved address"),
    ("::ffff:10.0.0.1", "a private address"),
    ("64:ff9b::7f00:1", "a loopback address"),
    ("2002:a9fe:a9fe::1", "a link-local address"),
    ("::7f00:1", "a reserved address"),
])
def test_non_public_addresses_are_classified(address, kind):
    assert classify(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "172.32.0.1", "100.128.0.1", "1.1.1.1",
                                     "2001:4860:4860::8888", "64:ff9b::808:808"])
def test_public_addresses_are_not_classified(address):
    assert classify(ipaddress.ip_address(address)) is None


def test_refusal_names_the_address_the_kind_and_how_to_allow_it():
    policy = AddressPolicy([])
    assert policy.refusal("127.0.0.1", ipaddress.ip_address("127.0.0.1")) == (
        "refused: 127.0.0.1 is a loopback address; allow it with CALLWRIGHT_HTTP_ALLOW or "
        "[http] allow")
    assert policy.refusal("db.internal", ipaddress.ip_address("10.1.2.3")).startswith(
        "refused: db.internal resolves to 10.1.2.3, a private address;")


def test_an_allowed_network_admits_only_its_own_addresses():
    policy = AddressPolicy(["10.1.0.0/16", "::1"])
    assert policy.refusal("a", ipaddress.ip_address("10.1.200.3")) is None
    assert policy.refusal("a", ipaddress.ip_address("::1")) is None
    assert policy.refusal("a", ipaddress.ip_address("10.2.0.1")) is not None
    assert policy.refusal("a", ipaddress.ip_address("127.0.0.1")) is not None


def test_an_allowed_ipv4_network_admits_its_addresses_written_as_ipv6():
    policy = AddressPolicy(["127.0.0.0/8"])
    assert policy.refusal("a", ipaddress.ip_address("::ffff:127.0.0.1")) is None
    assert policy.refusal("a", ipaddress.ip_address("64:ff9b::7f00:1")) is None


def test_parse_networks_accepts_bare_addresses_and_host_bits_and_names_a_bad_entry():
    assert [str(n) for n in parse_networks(["::1", "10.1.2.3/16"])] == ["::1/128", "10.1.0.0/16"]
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not a CIDR network"):
        parse_networks(["10.0.0.0/33"])


def fixed(*addresses):
    """Return a resolver that answers every name with these addresses."""
    async def resolve(host, port):
        return [ipaddress.ip_address(a) for a in addresses]
    return resolve


def test_a_name_is_refused_when_any_of_its_addresses_is_refused():
    policy = AddressPolicy([], resolver=fixed("8.8.8.8", "10.0.0.1"))
    with pytest.raises(BlockError, match="refused: api.example resolves to 10.0.0.1, a private"):
        asyncio.run(policy.resolve("api.example", 443))


def test_a_name_whose_addresses_are_all_public_resolves_to_all_of_them():
    policy = AddressPolicy([], resolver=fixed("8.8.8.8", "::ffff:1.1.1.1"))
    addresses = asyncio.run(policy.resolve("api.example", 443))
    assert addresses == [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("1.1.1.1")]


def test_numeric_hosts_are_never_sent_to_the_resolver():
    async def no_dns(host, port):
        raise AssertionError("resolver called")
    policy = AddressPolicy(["127.0.0.0/8"], resolver=no_dns)
    assert asyncio.run(policy.resolve("0x7f000001", 80)) == [ipaddress.ip_address("127.0.0.1")]


def test_localhost_is_refused_by_the_system_resolver():
    with pytest.raises(BlockError, match="refused: localhost resolves to .*a loopback address"):
        asyncio.run(AddressPolicy([]).resolve("localhost", 80))


def test_an_unknown_name_is_a_block_error_naming_it():
    with pytest.raises(BlockError, match="cannot resolve nothing-here.invalid"):
        asyncio.run(lookup("nothing-here.invalid", 80))
