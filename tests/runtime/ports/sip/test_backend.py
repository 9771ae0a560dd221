"""The SIP backend's settings: where it listens, what it tells callers, where transfers go."""

from __future__ import annotations

from runtime.ports.sip import SipBackend
from runtime.ports.sip.addresses import local_address, split_hostport, user_part


def backend(tmp_path, **sip) -> SipBackend:
    return SipBackend.from_settings({"sip": sip}, tmp_path)


def test_settings_give_the_address_ports_and_laws(tmp_path):
    sip = backend(tmp_path, listen="127.0.0.1:5099", ports=3, codecs=["PCMA"], ring_s=1.5)
    assert (sip.host, sip.port, len(sip.ports), sip.payload_types, sip.ring_s) == (
        "127.0.0.1", 5099, 3, [8], 1.5)
    assert sip.address == "udp:127.0.0.1:5099" and sip.contact_host == "127.0.0.1"


def test_a_wildcard_listen_address_is_never_what_callers_are_told(tmp_path):
    assert backend(tmp_path, listen="0.0.0.0:5060").contact_host == local_address(4)
    assert backend(tmp_path, listen="0.0.0.0:5060", advertise="203.0.113.7").contact_host == \
        "203.0.113.7"


def test_transfers_to_a_number_go_to_the_transfer_domain(tmp_path):
    assert backend(tmp_path).transfer_uri({"number": "100"}) == "sip:100@127.0.0.1"
    pbx = backend(tmp_path, transfer_domain="pbx.example.com")
    assert pbx.transfer_uri({"number": "+4930123"}) == "sip:+4930123@pbx.example.com"
    assert pbx.transfer_uri({"uri": "sip:desk@example.com"}) == "sip:desk@example.com"
    assert pbx.transfer_uri({"queue": "support"}) is None  # a queue needs a PBX that has one


def test_numbers_are_read_from_request_uris():
    assert user_part("sip:%2B4930123456@127.0.0.1:5060;user=phone") == "+4930123456"
    assert user_part("sip:127.0.0.1") == ""
    assert split_hostport("[::1]:5060") == ("::1", 5060)
