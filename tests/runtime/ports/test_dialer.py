"""The dialer places queued voice sessions on free ports and runs them when the callee answers."""

from __future__ import annotations

import json
import time

import pytest

from blocks import default_registry
from runtime import Runtime, Workspace
from runtime.errors import SessionNotFound
from runtime.ports import NoFreePort
from runtime.ports.emulator import EmulatorBoard, InvalidCallers
from runtime.ports.dialer import Dialer, line_backend

MENU = {"ask": {"type": "menu",
                "config": {"prompt": "Collect today?",
                           "options": [{"key": "1", "label": "Yes", "exit": "yes"}]},
                "exits": {"yes": "done"}},
        "done": {"type": "end", "config": {"text": "Bye.", "disposition": "confirmed"}}}


@pytest.fixture
def runtime(make_workspace, flow_doc):
    """Yield a runtime (sessions in memory) over a workspace with a one-menu flow."""
    root = make_workspace(flow_doc("reminder", MENU))
    opened = Runtime(Workspace.load(root, default_registry()))
    yield opened
    opened.close()


def queued(runtime, to: str = "+4915112345678") -> str:
    """Save a queued outbound call's session as start_execution does; return its id."""
    flow = runtime.workspace.flow("reminder")
    session = runtime.engine.new_session(
        flow, "voice", trigger={"channel": "voice", "from": "+4930123456", "to": to,
                                "text": None, "direction": "outbound"},
        contact={"from": to, "to": "+4930123456"})
    session.status = "queued"
    runtime.sessions.save(session)
    return session.id


def dialer(runtime, callers: list[dict], ports: int = 2) -> Dialer:
    """Return a dialer on emulated ports (50x fast) whose callees follow `callers`."""
    root = runtime.workspace.root
    (root / "callers.json").write_text(json.dumps(callers), "utf-8")
    settings = {"voice": {"ports": ports, "speed": 50, "callers": "callers.json"}}
    return Dialer(runtime, line_backend(settings, root))


def until(runtime, session_id: str, status: str, timeout: float = 10.0):
    """Wait (bounded) until a session has a status; return it."""
    deadline = time.monotonic() + timeout
    while (session := runtime.sessions.get(session_id)).status != status:
        assert time.monotonic() < deadline, f"still {session.status}"
        time.sleep(0.01)
    return session


def test_the_line_has_the_configured_ports_speed_and_callees(runtime):
    (runtime.workspace.root / "callers.json").write_text('[{"answer": "busy"}]', "utf-8")
    board = line_backend({"voice": {"ports": 45, "speed": 8, "callers": "callers.json"}},
                         runtime.workspace.root)
    assert isinstance(board, EmulatorBoard) and len(board.ports) == 45
    assert board.clock.speed == 8 and board.callers.pick().answer == "busy"
    assert len(line_backend({}, runtime.workspace.root).ports) == 30


def test_a_broken_callers_file_is_refused_naming_the_file(runtime):
    (runtime.workspace.root / "callers.json").write_text('[{"answer": "maybe"}]', "utf-8")
    with pytest.raises(InvalidCallers, match="callers.json"):
        line_backend({"voice": {"callers": "callers.json"}}, runtime.workspace.root)


def test_a_placed_call_takes_a_port_and_runs_the_session_to_its_end(runtime):
    line = dialer(runtime, [{"actions": [{"digits": "1"}]}])
    try:
        execution = queued(runtime)
        assert line.place(execution) == "b1c1"
        assert runtime.sessions.get(execution).status in ("running", "ended")
        ended = until(runtime, execution, "ended")
        assert ended.disposition == "confirmed" and ended.steps == 2
        deadline = time.monotonic() + 5  # the port is hung up and given back just after
        while line.in_progress():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert line.pool.stats().busy == 0
    finally:
        line.close()


def test_placing_a_session_again_or_one_that_is_not_queued_does_nothing(runtime):
    line = dialer(runtime, [{"actions": [{"digits": "1"}]}])
    try:
        execution = queued(runtime)
        line.place(execution)
        assert line.place(execution) is None
        until(runtime, execution, "ended")
        assert line.place(execution) is None
        assert line.pool.stats().offered == 1
        with pytest.raises(SessionNotFound):
            line.place("nope")
    finally:
        line.close()


def test_with_every_port_busy_placing_raises_no_free_port_and_leaves_the_call_queued(runtime):
    line = dialer(runtime, [{"then": "silence"}], ports=1)
    try:
        first, second = queued(runtime), queued(runtime, "+4915199999999")
        line.place(first)
        with pytest.raises(NoFreePort):
            line.place(second)
        assert runtime.sessions.get(second).status == "queued"
    finally:
        line.close()


def test_a_callee_who_does_not_answer_ends_the_session_with_the_dial_result(runtime):
    line = dialer(runtime, [{"answer": "noanswer"}])
    try:
        execution = queued(runtime)
        line.place(execution)
        ended = until(runtime, execution, "ended")
        assert (ended.disposition, ended.steps) == ("noanswer", 0)
    finally:
        line.close()


def test_closing_the_dialer_hangs_up_calls_in_progress_as_interrupted(runtime):
    line = dialer(runtime, [{"then": "silence"}])
    execution = queued(runtime)
    line.place(execution)
    until(runtime, execution, "running")
    line.close()
    assert runtime.sessions.get(execution).disposition == "interrupted"
    assert all(port.state == "null" for port in line.pool.ports)


def test_the_sip_backend_is_refused_for_outbound_calls_by_name(runtime):
    from blocks.sdk import ConfigurationError

    with pytest.raises(ConfigurationError, match='backend = "sip": the sip backend answers'):
        line_backend({"voice": {"backend": "sip"}}, runtime.workspace.root)


def test_a_voice_nodes_dialer_places_calls_on_the_pool_its_inbound_calls_share(runtime):
    import asyncio

    from runtime.ports.node import VoiceNode

    root = runtime.workspace.root
    (root / "callers.json").write_text(json.dumps([{"then": "silence"}]), "utf-8")
    board = line_backend({"voice": {"ports": 1, "speed": 50, "callers": "callers.json"}}, root)
    node = VoiceNode(runtime, [board])

    async def run() -> None:
        await node.start()
        dialer = node.dialer(runtime, "emulator")
        pool = node.pools["emulator"]
        inbound = pool.acquire()  # the node's one port carries an inbound call
        with pytest.raises(NoFreePort):  # so the queued call waits for it
            await asyncio.to_thread(dialer.place, queued(runtime))
        pool.release(inbound)
        assert await asyncio.to_thread(dialer.place, queued(runtime)) == inbound.id
        assert node.snapshot()["backends"]["emulator"]["busy"] == 1
        await dialer.stop()
        await node.stop(drain_s=1)

    asyncio.run(run())
    assert node.snapshot()["backends"]["emulator"]["busy"] == 0
