"""A pyVoIP softphone calls our SIP backend through Kamailio: it hears the menu (not silence) and
the key it presses chooses the branch, read back from the execution log."""

from __future__ import annotations

import re

import pytest
from needs import program
from serving import stop

from .conftest import (HEARD_RMS, Node, Registrar, dispositions, register, softphone,
                       start_voice, workspace)

ANSWERING = re.compile(r"Answering sip calls on udp:127\.0\.0\.1:(\d+)")


@pytest.fixture(scope="module")
def sip_node(tmp_path_factory: pytest.TempPathFactory, kamailio: Registrar) -> Node:
    """`callwright voice` with the default sip backend, registered at Kamailio as `keys`."""
    program("espeak-ng", "espeak-ng")  # the menu is spoken
    folder = workspace(tmp_path_factory.mktemp("sip"), {"keys": "keys"}, "[sip]\nports = 4\n")
    node = start_voice(folder, "Answering sip calls on", "--sip", "127.0.0.1:0")
    register(kamailio, "keys", int(ANSWERING.search(node.banner).group(1)))
    yield node
    assert stop(node.process) == 0, node.log.read_text(errors="replace")


def test_a_pyvoip_softphone_hears_the_menu_and_its_key_chooses_the_branch(kamailio, sip_node):
    heard = softphone(kamailio, "keys", "2")
    assert heard["registered"] and heard["answered"], heard
    assert heard["rms"] > HEARD_RMS, heard  # the menu's prompt, not silence
    assert heard["ended"], heard  # the flow ended and hung up
    assert dispositions(sip_node, "keys", 1) == ["support"]
