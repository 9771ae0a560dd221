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
