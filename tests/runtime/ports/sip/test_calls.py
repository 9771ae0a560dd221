"""Real SIP calls to `callwright voice`, made by sipp: what callers hear back, what flows did.

Each test places calls with a scenario of scenarios/ and checks sipp's verdict (its exit status
is 0 only when every call went as the scenario says) and, where a flow ran, the execution log.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest
from calls import dispositions as ended_as
from calls import free_udp_port, run_sipp

from runtime.records import ExecutionLog, open_engine
from runtime.tasks import task_config
from runtime.workspace import load_settings

from .conftest import SCENARIOS


def place(sipp: str, node, scenario: str, number: str, *, calls: int = 1, rate: int = 10,
          timeout_s: int = 60, **keys: str) -> subprocess.CompletedProcess:
    """Run a sipp scenario against the node; `keys` become its [keyword]s."""
    options = ["-s", number, "-m", str(calls), "-l", str(calls), "-r", str(rate),
               "-timeout", f"{timeout_s}s", "-timeout_error", "-recv_timeout", "30s"]
    for name, value in keys.items():
        options += ["-key", name, value]
    return run_sipp(sipp, f"127.0.0.1:{node.port}", SCENARIOS / f"{scenario}.xml", *options,
                    cwd=node.workspace, timeout_s=timeout_s)


def dispositions(node, flow_id: str, count: int) -> list[str]:
    """Wait until the execution log holds `count` ended sessions of a flow; return theirs."""
    return ended_as(node.workspace, flow_id, count)


def verdict(run: subprocess.CompletedProcess) -> str:
    return f"sipp exited {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"


def test_digits_pressed_by_rfc_4733_choose_the_menus_branch(sipp, node):
    for key in ("1", "2"):
        run = place(sipp, node, "press", "keys", keys=key)
        assert run.returncode == 0, verdict(run)
    assert dispositions(node, "keys", 2) == ["sales", "support"]


def test_an_unknown_number_is_refused_with_404(sipp, node):
    run = place(sipp, node, "unknown", "nobody")
    assert run.returncode == 0, verdict(run)


def test_a_caller_hanging_up_mid_prompt_ends_the_session_as_a_hang_up(sipp, node):
    run = place(sipp, node, "hangup", "long")
    assert run.returncode == 0, verdict(run)
    assert dispositions(node, "long", 1) == ["caller_hangup"]


def test_a_hundred_calls_at_once_all_complete_with_their_digits(sipp, node):
    before = len(dispositions(node, "keys", 0))
    run = place(sipp, node, "press", "keys", calls=100, rate=100, keys="1", timeout_s=120)
    assert run.returncode == 0, verdict(run)
    ended = dispositions(node, "keys", before + 100)
    assert ended.count("sales") >= 100


def figures_after(node, seconds: float = 1.5) -> dict:
    """Return the node's figures once it has written them again (every second)."""
    from runtime.ports.figures import read_figures

    time.sleep(seconds)
    return read_figures(node.workspace)["calls"]


def test_cancel_while_ringing_gets_487_and_no_answer(sipp, small_node):
    before = figures_after(small_node, 0)
    run = place(sipp, small_node, "cancel", "keys")
    assert run.returncode == 0, verdict(run)
    after = figures_after(small_node)
    # never answered, so no flow ran: the call counts as abandoned while it rang
    assert after["answered"].get("keys", 0) == before["answered"].get("keys", 0)
    assert after["abandoned"].get("keys", 0) == before["abandoned"].get("keys", 0) + 1
    # and its port is free again
    run = place(sipp, small_node, "press", "keys", keys="2")
    assert run.returncode == 0, verdict(run)


def test_a_call_finding_every_port_busy_is_refused_with_486(sipp, small_node):
    # the one port is taken by a call that rings (2 s), is answered and hangs up a second later
    first = subprocess.Popen([sipp, f"127.0.0.1:{small_node.port}", "-sf",
                              str(SCENARIOS / "hangup.xml"), "-s", "long", "-m", "1",
                              "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mi", "127.0.0.1",
                              "-mp", str(free_udp_port() & ~1), "-nostdin", "-timeout", "60s",
                              "-timeout_error"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             cwd=small_node.workspace)
    try:
        time.sleep(1.0)  # ringing on the one port
        run = place(sipp, small_node, "busy", "keys")
        assert run.returncode == 0, verdict(run)
    finally:
        assert first.wait(60) == 0


def rss_kb(pid: int) -> int:
    """Return a process's resident memory in kB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def invites(count: int, port: int, tag: str, answer_to: int) -> list[bytes]:
    """INVITEs to a number no flow is routed for, each its own call."""
    return [(f"INVITE sip:nobody@127.0.0.1:{port} SIP/2.0\r\n"
             f"Via: SIP/2.0/UDP 127.0.0.1:{answer_to};branch=z9hG4bK{tag}{n}\r\n"
             f"From: <sip:flood@127.0.0.1>;tag={n}\r\nTo: <sip:nobody@127.0.0.1>\r\n"
             f"Call-ID: {tag}-{n}@flood\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
             f"Content-Length: 0\r\n\r\n").encode() for n in range(count)]


def test_hostile_datagrams_between_good_calls_are_refused_and_leave_it_serving(sipp, node):
    messages = sorted((SCENARIOS.parent / "messages").glob("[ig]*.sip"))
    assert len(messages) > 20
    answers = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        for _ in range(3):  # a burst: every invalid or garbage datagram of the corpus, thrice
            for path in messages:
                sock.sendto(path.read_bytes(), ("127.0.0.1", node.port))
        try:
            while True:
                answers.append(sock.recv(65536).split(b"\r\n", 1)[0])
        except TimeoutError:
            pass
    assert answers and all(a.startswith((b"SIP/2.0 4", b"SIP/2.0 5")) for a in answers), answers
    assert node.process.poll() is None
    run = place(sipp, node, "press", "keys", keys="2")
    assert run.returncode == 0, verdict(run)


def test_a_flood_of_invites_is_refused_and_memory_stays_flat(node):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.settimeout(2.0)

        def flood(tag: str) -> int:
            own = sock.getsockname()[1]
            for n, datagram in enumerate(invites(3000, node.port, tag, own)):
                sock.sendto(datagram, ("127.0.0.1", node.port))
                if n % 200 == 199:
                    time.sleep(0.02)  # a flood, not a loss test of the kernel's buffers
            answered = 0
            try:
                while True:
                    if sock.recv(65536).startswith(b"SIP/2.0 404"):
                        answered += 1
            except TimeoutError:
                return answered

        assert flood("warm") > 2500
        before = rss_kb(node.process.pid)
        assert flood("again") > 2500
        after = rss_kb(node.process.pid)
    assert after - before < 4096, f"RSS grew from {before} to {after} kB"
    assert node.process.poll() is None


@pytest.mark.parametrize("status, outcome", [("200", "transferred"), ("486", "agent_busy")])
def test_a_transfer_is_a_refer_whose_notify_says_how_it_went(sipp, node, status, outcome):
    before = dispositions(node, "agent", 0)
    run = place(sipp, node, "refer", "agent", status=status)
    assert run.returncode == 0, verdict(run)
    after = dispositions(node, "agent", len(before) + 1)
    assert after.count(outcome) == before.count(outcome) + 1


def test_a_caller_who_sends_no_rtp_is_hung_up(sipp, small_node):
    before = dispositions(small_node, "long", 0).count("caller_hangup")
    started = time.monotonic()
    run = place(sipp, small_node, "silent", "long")
    assert run.returncode == 0, verdict(run)  # the IVR hung up (BYE), before the flow's end
    assert time.monotonic() - started < 15
    ended = dispositions(small_node, "long", before + 1)
    assert ended.count("caller_hangup") == before + 1


def test_the_node_reports_its_live_figures(sipp, node):
    from runtime.ports.figures import read_figures

    run = place(sipp, node, "unknown", "nobody")
    assert run.returncode == 0, verdict(run)
    time.sleep(1.5)  # written every second
    figures = read_figures(node.workspace)
    assert figures["live"] is True
    assert figures["backends"]["sip"]["ports"] == 120
    assert figures["backends"]["sip"]["address"] == f"udp:127.0.0.1:{node.port}"
    assert figures["calls"]["unrouted"] >= 1 and figures["calls"]["offered"][""] >= 1


def test_the_example_bank_ivr_answers_a_sip_call_and_its_digits_choose_the_branch(
        sipp, espeak, example_workspace):
    from .conftest import start_node
    from serving import stop

    node = start_node(example_workspace)
    try:
        run = place(sipp, node, "press", "bank", keys="0")  # 0: an agent
        assert run.returncode == 0, verdict(run)
        settings = load_settings(node.workspace)
        log = ExecutionLog(open_engine(task_config(node.workspace, settings).database_url))
        try:
            [session] = log.recent("bank-ivr")
            taken = {step["block"]: step["exit"] for step in log.steps(session["session_id"])}
        finally:
            log.close()
    finally:
        assert stop(node.process) == 0
    # the bank is open or closed by the hours of today, in Berlin: open, the menu took key 0
    if taken["office_hours"] == "open":
        assert taken["main_menu"] == "agent"
        # a queue needs a PBX: on the bare SIP backend the transfer fails, and the flow says so
        assert (taken["to_agent"], session["disposition"]) == ("failed", "agent_unavailable")
    else:
        assert session["disposition"] == "closed"
