"""Inbound calls: backends offer calls, the router runs their flows and frees every port after."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from runtime import Runtime
from runtime.ports import CallInfo, NoFreePort
from runtime.ports.backends import UnknownBackend, backend_class, configured_backends
from runtime.ports.emulator import EmulatorBoard
from runtime.ports.inbound import InboundCalls, UnknownNumber
from runtime.ports.node import VoiceNode
from runtime.ports.pool import PortPool

HELLO = {"schema": "callwright/flow@1", "id": "hello", "name": "Hello", "start": "hi",
         "blocks": {"hi": {"type": "say", "config": {"text": "Hello."}, "exits": {"next": "bye"}},
                    "bye": {"type": "end", "config": {"disposition": "greeted"}}}}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "hello.json").write_text(json.dumps(HELLO))
    (tmp_path / "routes.json").write_text(json.dumps(
        {"schema": "callwright/routes@1", "voice": {"hello": "hello"}}))
    (tmp_path / "callers.json").write_text(json.dumps([{"to": "hello", "then": "silence"}]))
    return tmp_path


@pytest.fixture
def runtime(workspace: Path):
    opened = Runtime.open(workspace)
    yield opened
    opened.close()


def test_an_unknown_number_and_a_full_pool_are_refused_and_counted(runtime):
    board = EmulatorBoard(1, 1)
    calls = InboundCalls(runtime, PortPool(board.ports))
    with pytest.raises(UnknownNumber):
        calls.offer(CallInfo("inbound", called="nobody"))
    port = calls.offer(CallInfo("inbound", called="hello"))
    with pytest.raises(NoFreePort):
        calls.offer(CallInfo("inbound", called="hello"))
    calls.refused(port)  # the backend could not ring it after all: the port is free again
    assert calls.offer(CallInfo("inbound", called="hello")) is port
    assert calls.figures.as_dict()["unrouted"] == 1
    assert calls.figures.blocked == {"hello": 1}
    assert calls.figures.offered == {"": 1, "hello": 3}


def test_emulated_callers_call_in_through_the_router_and_every_port_comes_back(runtime, workspace):
    settings = {"voice": {"ports": 10, "speed": 50, "inbound_cps": 2, "callers": "callers.json"},
                "ports": {"backends": ["emulator"]}}
    [board] = configured_backends(settings, workspace)
    node = VoiceNode(runtime, [board])

    async def run() -> dict:
        await node.start()
        await asyncio.sleep(1.0)  # 50 s of the board's clock: about 100 calls
        await node.stop(drain_s=5)
        return node.snapshot()

    snapshot = asyncio.run(run())
    calls = snapshot["calls"]
    assert calls["offered"]["hello"] > 20
    assert sum(row["calls"] for row in calls["completed"]) > 10
    assert {row["disposition"] for row in calls["completed"]} == {"greeted"}
    assert snapshot["backends"]["emulator"]["busy"] == 0
    assert snapshot["backends"]["emulator"]["address"] == "emulator:10 ports"


def test_backends_are_found_by_name_and_an_unknown_name_says_what_there_is():
    assert backend_class("emulator") is EmulatorBoard
    assert backend_class("sip").name == "sip"
    with pytest.raises(UnknownBackend, match="known are emulator, sip"):
        backend_class("nope")
