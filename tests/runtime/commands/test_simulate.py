"""`simulate` runs a chat as the chat API does: the same replies and the same count of steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import Runtime
from runtime.commands import simulate

# the events a chat turn answers with (the transcript adds `input` and `noinput`)
REPLY_EVENTS = frozenset({"say", "ask", "transfer", "end", "error"})


def simulated(root: Path, flow_id: str, trigger: str, inputs: list[str]) -> list[dict]:
    """Return the reply events of `simulate` with these inputs, answered inside the run."""
    events: list[dict] = []
    simulate(root / "flows" / f"{flow_id}.json", channel="chat", trigger_text=trigger,
             inputs=inputs, emit=events.append)
    return [event for event in events if event["event"] in REPLY_EVENTS]


def chatted(root: Path, flow_id: str, trigger: str, inputs: list[str]) -> list[dict]:
    """Return the replies of the chat turns the API runs: the trigger, then one per input."""
    runtime = Runtime.open(root)
    try:
        turn = runtime.chat_turn(flow_id, None, trigger)
        replies = list(turn["replies"])
        for text in inputs:
            turn = runtime.chat_turn(flow_id, turn["session"], text)
            replies += turn["replies"]
    finally:
        runtime.close()
    assert turn["ended"]
    return replies


@pytest.mark.parametrize(("flow_id", "trigger", "inputs"), [
    ("support-bot", "hello", ["2", "no"]),
    ("support-bot", "what is my balance", ["yes", "hours", "nope"]),
    # answers that match nothing, so the menus wait again and again within one step
    ("support-bot", "hello", ["weather?", "money", "maybe", "perhaps"]),
    # the PIN is asked in the verify-pin subflow: a wrong length first, then the right PIN
    ("card-services", "block my card", ["12", "4321"]),
], ids=["menus", "trigger-and-synonyms", "nomatch-retries", "subflow-retry"])
def test_a_chat_gives_the_same_replies_and_steps_in_simulate_and_over_the_api(
        example_workspace: Path, flow_id: str, trigger: str, inputs: list[str]) -> None:
    expected = simulated(example_workspace, flow_id, trigger, inputs)
    replies = chatted(example_workspace, flow_id, trigger, inputs)
    assert replies == expected
    assert replies[-1]["event"] == "end" and replies[-1]["steps"] == expected[-1]["steps"]


VOICEMAIL = {"leave": {"type": "record", "config": {"prompt": "Speak after the tone.", "max_s": 20},
                       "exits": {"next": "thanks", "noinput": "menu"}},
             "menu": {"type": "menu",
                      "config": {"prompt": "Press 1 to try again.",
                                 "options": [{"key": "1", "label": "Again", "exit": "again"}]},
                      "exits": {"again": "leave"}},
             "thanks": {"type": "end", "config": {"disposition": "left"}}}


@pytest.mark.parametrize("channel", ["voice", "chat"])
def test_a_record_block_shows_what_it_would_record_and_takes_noinput_leaving_the_inputs(
        make_workspace, flow_doc, channel: str) -> None:
    root = make_workspace(flow_doc("voicemail", VOICEMAIL))
    events: list[dict] = []
    result = simulate(root / "flows" / "voicemail.json", channel=channel, inputs=["1"],
                      emit=events.append)
    # a simulation records nothing; the input "1" is the menu's, not the recording's
    assert [(e["event"], e.get("block")) for e in events][:4] == [
        ("record", "leave"), ("noinput", "leave"), ("ask", "menu"), ("input", None)]
    assert {k: events[0][k] for k in ("prompt", "max_s", "beep")} == {
        "prompt": "Speak after the tone.", "max_s": 20, "beep": True}
    assert [e["event"] for e in events].count("record") == 2
    assert result.disposition == "failed"  # the second menu had no input left
