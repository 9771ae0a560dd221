"""The line backend registered on a real registrar: `callwright voice` with `[ports] backends =
["line"]` registers two extensions on Kamailio, and sipp calls them through it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from calls import run_sipp
from needs import program
from serving import callwright_command, stop

from .conftest import (HEARD_RMS, PASSWORDS, Node, Registrar, dispositions, free_udp_port,
                       softphone, start_voice, workspace)

SCENARIOS = Path(__file__).parent.parent / "sip" / "scenarios"
BANNER = "Answering line calls on"


@pytest.fixture(scope="module")
def sipp() -> str:
    """Return sipp's path (Debian's sip-tester); required under CI."""
    return program("sipp", "sip-tester")


@pytest.fixture(scope="module")
def line_node(tmp_path_factory: pytest.TempPathFactory, kamailio: Registrar, sipp: str) -> Node:
    """Three extensions on Kamailio: 2001 routed by the number dialled, 2002 by its own `keys`
    (registered with its password, from the environment), 2003 by nothing."""
    program("espeak-ng", "espeak-ng")  # the menu is spoken
    rtp = free_udp_port()
    folder = workspace(tmp_path_factory.mktemp("line"), {"2001": "keys", "keys": "keys"}, (
        f'[ports]\nbackends = ["line"]\n'
        f'[line]\nserver = "127.0.0.1:{kamailio.port}"\nrtp_ports = [{rtp}, {rtp + 9}]\n'
        f'[[line.extensions]]\nuser = "2001"\n'
        f'[[line.extensions]]\nuser = "2002"\nnumber = "keys"\npassword_env = "PBX_2002"\n'
        f'[[line.extensions]]\nuser = "2003"\n'))
    node = start_voice(folder, BANNER, env={**os.environ, "PBX_2002": PASSWORDS["2002"]})
    yield node
    assert stop(node.process) == 0, node.log.read_text(errors="replace")


def call(sipp: str, registrar: Registrar, number: str, keys: str, cwd: Path,
         scenario: str = "press") -> subprocess.CompletedProcess:
    """Call `number` through the registrar with a sipp scenario; `press` presses `keys` (RFC
    2833) once answered."""
    return run_sipp(sipp, f"127.0.0.1:{registrar.port}", SCENARIOS / f"{scenario}.xml",
                    "-s", number, "-m", "1", "-l", "1", "-timeout", "40s", "-timeout_error",
                    "-key", "keys", keys, cwd=cwd, timeout_s=40)


def test_the_node_names_its_registered_extensions_and_their_registrar(line_node, kamailio):
    found = re.search(r"on sip:([\d,]+)@127\.0\.0\.1:(\d+) with (\d+) ports", line_node.banner)
    assert found, line_node.banner
    assert found.groups() == ("2001,2002,2003", str(kamailio.port), "3")


def test_calls_at_once_through_the_registrar_reach_each_extension_and_digits_choose_the_branch(
        sipp, kamailio, line_node):
    before = dispositions(line_node, "keys", 0)
    with ThreadPoolExecutor(2) as callers:
        runs = list(callers.map(lambda number_key: call(sipp, kamailio, *number_key,
                                                        line_node.workspace),
                                (("2001", "1"), ("2002", "2"))))
    for run in runs:
        assert run.returncode == 0, (f"sipp exited {run.returncode}:\n{run.stdout[-3000:]}\n"
                                     f"{line_node.log.read_text(errors='replace')[-3000:]}")
    assert dispositions(line_node, "keys", len(before) + 2) == sorted([*before, "sales", "support"])


def test_a_pyvoip_softphone_calling_an_extension_hears_the_menu_and_its_key_counts(
        kamailio, line_node):
    before = dispositions(line_node, "keys", 0)
    heard = softphone(kamailio, "2001", "1")
    assert heard["registered"] and heard["answered"], heard
    assert heard["rms"] > HEARD_RMS, heard  # the prompt as the line backend fed it to pyVoIP
    assert heard["ended"], heard
    assert dispositions(line_node, "keys", len(before) + 1) == sorted([*before, "sales"])


def test_a_caller_hanging_up_mid_prompt_ends_the_session_as_a_hang_up(sipp, kamailio, line_node):
    before = dispositions(line_node, "keys", 0)
    run = call(sipp, kamailio, "2001", "", line_node.workspace, "hangup")
    assert run.returncode == 0, run.stdout[-3000:]
    assert dispositions(line_node, "keys", len(before) + 1) == sorted([*before, "caller_hangup"])


def test_a_call_to_an_extension_no_flow_is_routed_for_is_refused_busy(sipp, kamailio, line_node):
    run = call(sipp, kamailio, "2003", "", line_node.workspace, "busy")
    assert run.returncode == 0, run.stdout[-3000:]  # 486 Busy Here: pyVoIP's one refusal


def test_a_wrong_password_stops_the_node_with_a_message(tmp_path, kamailio):
    folder = workspace(tmp_path / "ws", {}, (
        f'[ports]\nbackends = ["line"]\n[line]\nserver = "127.0.0.1:{kamailio.port}"\n'
        f'register_timeout_s = 3\n[[line.extensions]]\nuser = "2002"\npassword = "wrong"\n'))
    run = subprocess.run(callwright_command("voice", "--workspace", str(folder)),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "extension 2002" in run.stderr and "not registered" in run.stderr, run.stderr[-3000:]


def test_a_registrar_that_never_answers_stops_the_node_with_a_message(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # takes REGISTERs only
        silent.bind(("127.0.0.1", 0))
        server = f"127.0.0.1:{silent.getsockname()[1]}"
        folder = workspace(tmp_path / "ws", {}, (
            f'[ports]\nbackends = ["line"]\n[line]\nserver = "{server}"\n'
            f'register_timeout_s = 1\n[[line.extensions]]\nuser = "2009"\n'))
        run = subprocess.run(callwright_command("voice", "--workspace", str(folder)),
                             capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "extension 2009 was not registered within 1 s" in run.stderr
