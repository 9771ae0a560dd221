"""The simulator's runtime side: drafts kept for every process, transcripts, sessions set apart."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from runtime import InvalidFlow, Runtime, SessionNotFound
from runtime.commands import Simulator
from runtime.commands.transcripts import Transcripts
from runtime.sessions import Session

FLOW = {"schema": "callwright/flow@1", "id": "ask", "start": "q",
        "blocks": {"q": {"type": "ask", "config": {"prompt": "Your name?", "variable": "vars.name"},
                         "exits": {"next": "bye"}},
                   "bye": {"type": "end", "config": {"text": "Bye {{ vars.name }}."}}}}


@pytest.fixture
def runtimes(make_workspace):
    """Return open(): a runtime over one workspace folder, as each serve worker opens it."""
    root = make_workspace()
    opened: list[Runtime] = []

    def open_() -> Runtime:
        opened.append(Runtime.open(root))
        return opened[-1]
    yield open_
    for runtime in opened:
        runtime.close()


def test_a_draft_runs_in_a_process_that_never_compiled_it(runtimes) -> None:
    here = Simulator(runtimes())
    turn = here.start(here.compile("ask", FLOW), "chat")
    assert [e["event"] for e in turn.events] == ["ask"]
    # the draft is no live flow: it is found again from the kept versions
    elsewhere = Simulator(runtimes())
    assert "ask" not in elsewhere.runtime.workspace.flows
    later = elsewhere.send(turn.session.id, "Ann")
    assert [(e["event"], e.get("text")) for e in later.events] == [
        ("input", "Ann"), ("say", "Bye Ann."), ("end", None)]
    assert elsewhere.events(turn.session.id) == turn.events + later.events


def test_a_process_holds_a_few_drafts_and_compiles_others_again(runtimes) -> None:
    simulator = Simulator(runtimes(), cached=1)
    first = simulator.start(simulator.compile("ask", FLOW), "chat")
    other = {**FLOW, "blocks": {**FLOW["blocks"],
                                "bye": {"type": "end", "config": {"text": "Ciao."}}}}
    simulator.start(simulator.compile("ask", other), "chat")
    assert len(simulator.drafts._drafts) == 1
    assert simulator.send(first.session.id, "Bo").events[-2]["text"] == "Bye Bo."


def test_a_draft_whose_id_is_not_its_flows_cannot_run(runtimes) -> None:
    simulator = Simulator(runtimes())
    with pytest.raises(InvalidFlow) as raised:
        simulator.compile("other", FLOW)
    assert [p.pointer for p in raised.value.problems] == ["/id"]


def test_the_clock_given_at_the_start_is_kept_with_the_session(runtimes) -> None:
    simulator = Simulator(runtimes())
    moment = datetime(2024, 3, 4, 9, 30, tzinfo=timezone.utc)
    turn = simulator.start(simulator.compile("ask", FLOW), "chat", now=moment)
    assert turn.session.trigger["simulation"] is True
    assert turn.session.trigger["now"] == "2024-03-04T09:30:00+00:00"


def test_a_waiting_simulation_is_never_found_by_its_contacts_address(store) -> None:
    simulated = Session(id=Session.new_id(), flow_id="f", flow_version="v", channel="sms",
                        block="b", vars={}, contact={"from": "+4915112345678"},
                        trigger={"channel": "sms", "simulation": True}, status="waiting")
    store.save(simulated)
    assert store.open_session("sms", "+4915112345678", "f") is None
    real = Session(id=Session.new_id(), flow_id="f", flow_version="v", channel="sms", block="b",
                   vars={}, contact={"from": "+4915112345678"}, trigger={"channel": "sms"},
                   status="waiting")
    store.save(real)
    store.save(simulated)
    assert store.open_session("sms", "+4915112345678", "f") == real.id


def test_transcripts_go_with_their_sessions(tmp_path: Path) -> None:
    transcripts = Transcripts(tmp_path / "t", ttl_s=60)
    old, fresh = Session.new_id(), Session.new_id()
    transcripts.append(old, [{"event": "say", "text": "é"}])
    transcripts.append(fresh, [{"event": "ask"}])
    transcripts.append(fresh, [{"event": "input"}])
    stale = time.time() - 120
    os.utime(tmp_path / "t" / f"{old}.jsonl", (stale, stale))
    assert transcripts.sweep() == 1
    assert transcripts.read(old) == []
    assert transcripts.read(fresh) == [{"event": "ask"}, {"event": "input"}]
    assert transcripts.sweep() == 0  # at most once an hour
    with pytest.raises(SessionNotFound):
        transcripts.read("../../etc/passwd")


def test_a_transcript_reads_back_every_text_and_only_whole_lines(tmp_path: Path) -> None:
    transcripts = Transcripts(tmp_path / "t")
    session = Session.new_id()
    # line and paragraph separators that str.splitlines would cut a JSON line at
    texts = ["a\u2028b", "c\u2029d", "e\x85f", "g\x1ch", "i\rj", "k\x0bl"]
    transcripts.append(session, [{"event": "input", "text": text} for text in texts])
    assert [event["text"] for event in transcripts.read(session)] == texts
    # a turn another process is still appending: its partial line is left for the next read
    with open(tmp_path / "t" / f"{session}.jsonl", "ab") as file:
        file.write('{"event":"say","text":"ré'.encode()[:-1])
    assert len(transcripts.read(session)) == len(texts)
