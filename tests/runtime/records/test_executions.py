"""The execution log: every step of every turn, written behind the turn, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from runtime.records import ExecutionLog, RecordsDatabase
from runtime.sessions import Frame, Session


@pytest.fixture
def log(records_url):
    """Return an execution log on a fresh records database; closed after the test."""
    records = RecordsDatabase(records_url)
    log = ExecutionLog(records.engine, flush_s=60)  # written only when a test flushes
    yield log
    log.close()
    records.close()


def session(turns: int) -> Session:
    """Return a session in its n-th turn."""
    return Session(id="s-1", flow_id="bank", flow_version="v1", channel="chat", block="menu",
                   vars={}, contact={}, trigger={}, turns=turns)


def test_the_steps_of_each_turn_come_back_in_order_with_their_changes(log):
    log.record(session(1), [("bank", "welcome", "next", 0.0012, {}, None),
                            ("bank", "menu", None, 0.0001, {"vars.tier": ["gold", None]}, None)])
    log.record(session(2), [("bank", "menu", "balance", 0.0003, {}, "attempt 1 of 3: nomatch")])
    steps = log.steps("s-1")
    assert [(s["turn"], s["block"], s["exit"]) for s in steps] == [
        (1, "welcome", "next"), (1, "menu", None), (2, "menu", "balance")]
    assert steps[1]["changes"] == {"vars.tier": ["gold", None]}
    assert steps[0]["ms"] == pytest.approx(1.2)
    assert steps[2]["note"] == "attempt 1 of 3: nomatch"


def test_steps_are_held_until_flushed_then_written_in_one_batch(log):
    log.record(session(1), [("bank", f"b{n}", "next", 0.0, {}, None) for n in range(2000)])
    with log.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM steps").scalar() == 0
    log.flush()
    assert len(log.steps("s-1")) == 2000


def test_text_that_is_not_ascii_is_kept_as_it_was(log):
    log.record(session(1), [("bank", "say", "next", 0.0, {"vars.name": ["Алёна 😊", None]},
                             "ошибка")])
    [step] = log.steps("s-1")
    assert step["changes"] == {"vars.name": ["Алёна 😊", None]} and step["note"] == "ошибка"


def test_another_session_s_steps_are_not_shown(log):
    log.record(session(1), [("bank", "welcome", "next", 0.0, {}, None)])
    assert log.steps("s-2") == []


def test_each_session_is_listed_under_its_flow_with_how_it_stands(log):
    first = session(1)
    log.record(first, [("bank", "menu", None, 0.0, {}, None)])
    first.status, first.turns, first.steps = "waiting", 1, 3
    log.record(first, [])  # the same turn recorded again: one row, the latest
    other = Session(id="s-2", flow_id="bank", flow_version="v2", channel="sms", block="b",
                    vars={}, contact={}, trigger={}, turns=2, status="ended",
                    disposition="completed", steps=7)
    log.record(other, [("bank", "b", None, 0.0, {}, None)])
    simulated = Session(id="s-3", flow_id="bank", flow_version="draft", channel="chat",
                        block="b", vars={}, contact={}, trigger={"simulation": True}, turns=1)
    log.record(simulated, [("bank", "b", None, 0.0, {}, None)])
    listed = log.recent("bank")
    assert [row["session_id"] for row in listed] == ["s-2", "s-1"]  # newest activity first
    assert {k: listed[0][k] for k in ("channel", "status", "disposition", "turns", "steps")} == {
        "channel": "sms", "status": "ended", "disposition": "completed", "turns": 2, "steps": 7}
    assert {k: listed[1][k] for k in ("status", "turns", "steps")} == {
        "status": "waiting", "turns": 1, "steps": 3}
    assert [row["session_id"] for row in log.recent("bank", simulations=True)][0] == "s-3"
    assert log.recent("other") == []


def test_a_session_inside_a_subflow_is_listed_under_the_flow_it_started_in(log):
    inside = session(1)
    inside.frames = [Frame("bank", "v1", "verify", {}, {})]
    inside.flow_id, inside.flow_version = "verify-pin", "p1"
    log.record(inside, [("verify-pin", "ask_pin", None, 0.0, {}, None)])
    [row] = log.recent("bank")
    assert (row["flow_id"], row["flow_version"]) == ("bank", "v1")
