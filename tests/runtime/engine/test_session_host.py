"""Queueing work from a flow: keys from session, turn, step and block; the same step, the same key."""

from __future__ import annotations

import asyncio
import json

import pytest

from blocks.sdk import Block, BlockError, Context, read_manifest
from blocks.sdk.testing import run_block
from runtime import Runtime
from runtime.channels import channel_named
from runtime.engine import SessionHost, TurnInputs
from runtime.sessions.session import Session


def session(turns: int = 3, steps: int = 7) -> Session:
    """Return a session in the middle of its third turn."""
    return Session(id="abc123", flow_id="f", flow_version="1", channel="sms", block="notify",
                   vars={}, contact={}, trigger={}, turns=turns, steps=steps)


def host_with(queued: list) -> SessionHost:
    """Return a host whose queue records what it is given."""
    def queue(task: str, payload: dict, key: str) -> str:
        queued.append((task, payload, key))
        return key
    return SessionHost(channel_named("sms"), TurnInputs(), lambda event: None, tasks=queue)


def test_the_key_names_the_session_turn_step_block_and_the_nth_enqueue():
    queued: list = []
    host = host_with(queued)
    host.bind(session())
    first = asyncio.run(host.enqueue("send", {"a": 1}, block="notify", index=0))
    second = asyncio.run(host.enqueue("send", {"a": 2}, block="notify", index=1))
    assert (first, second) == ("abc123.3.7.notify", "abc123.3.7.notify.1")
    assert queued == [("send", {"a": 1}, first), ("send", {"a": 2}, second)]


def test_running_the_same_step_again_gives_the_same_key():
    keys = []
    for _ in range(2):  # a turn replayed after a crash: same session, turn and step
        host = host_with([])
        host.bind(session())
        keys.append(asyncio.run(host.enqueue("send", {}, block="notify", index=0)))
    assert keys[0] == keys[1]


def test_a_host_serving_no_session_refuses_to_queue():
    with pytest.raises(BlockError, match="serves no session"):
        asyncio.run(host_with([]).enqueue("send", {}, block="notify", index=0))


class NotifyThenAsk(Block):
    """Queue a message, then wait for an answer: re-run after the wait, it must not queue again."""

    manifest = {**read_manifest("blocks.builtin", "say.json"), "type": "test_notify_ask"}

    async def run(self, ctx: Context) -> str:
        key = await ctx.enqueue("send", {"text": "before"})
        ctx.state["first_key"] = key
        await ctx.ask("Anything else?")
        ctx.state["after_key"] = await ctx.enqueue("send", {"text": "after"})
        return "next"


def test_a_block_re_run_after_a_wait_gets_back_its_key_without_queueing_again():
    first = run_block(NotifyThenAsk, {"text": "x"}, suspend=True, block_id="notify")
    assert first.waiting
    assert [e["payload"]["text"] for e in first.enqueued] == ["before"]
    second = run_block(NotifyThenAsk, {"text": "x"}, state=first.state, resume="no",
                       block_id="notify")
    assert second.exit == "next"
    assert [e["payload"]["text"] for e in second.enqueued] == ["after"]
    assert second.state["first_key"] == first.enqueued[0]["key"]
    assert second.state["after_key"] == "test.1.1.notify.1"


FLOW = {"schema": "callwright/flow@1", "id": "thanks", "start": "notify",
        "blocks": {"notify": {"type": "send",
                              "config": {"channel": "sms", "to": "{{ trigger.from }}",
                                         "text": "Thanks, we got: {{ trigger.text }}"},
                              "exits": {"next": "bye"}},
                   "bye": {"type": "end", "config": {"text": "Bye."}}}}


def test_a_send_block_in_a_flow_delivers_through_the_gateway_with_the_steps_key(
        task_queue, gateway, make_workspace):
    root = make_workspace(FLOW)
    queue = task_queue(f'[sms]\ngateway = "{gateway.url}"\nfrom = "+4930999000"\n'
               '[webhooks]\nsecret = "secret"\n[http]\nallow = ["127.0.0.0/8"]\n'
               "[tasks]\nimmediate = true\n", root=root)
    runtime = Runtime.open(root)
    try:
        turn = runtime.chat_turn("thanks", None, "my card is lost", channel="sms",
                                 sender="+4915112345678")
    finally:
        runtime.close()
    assert turn["ended"]
    [request] = gateway.requests
    message = json.loads(request["body"])
    assert message == {"id": f"{turn['session']}.1.1.notify", "from": "+4930999000",
                       "to": "+4915112345678", "text": "Thanks, we got: my card is lost"}
    assert queue.ledger.get(message["id"])["state"] == "delivered"  # the same records database


class Taken:
    """What a recorder took: seconds, and audio where kept."""

    def __init__(self, seconds: float, audio: bytes | None = None) -> None:
        self.seconds, self.audio = seconds, audio


def test_a_host_with_no_recorder_records_nothing_and_says_noinput():
    events: list = []
    host = SessionHost(channel_named("chat"), TurnInputs(), events.append)
    assert asyncio.run(host.record("Speak.", max_s=5, beep=True, block="r")) is None
    assert events == [{"event": "noinput", "block": "r"}]


def test_a_recording_kept_nowhere_gives_its_seconds_without_an_id():
    async def recorder(max_s: float) -> Taken:
        return Taken(min(max_s, 2.5))
    host = SessionHost(channel_named("voice"), TurnInputs(), lambda event: None,
                       recorder=recorder)
    host.bind(session())
    assert asyncio.run(host.record(None, max_s=9, beep=False, block="r")) == {
        "recording": None, "seconds": 2.5, "url": None}


HOURS_FLOW = {"schema": "callwright/flow@1", "id": "hours", "start": "notify",
              "blocks": {"notify": {"type": "send",
                                    "config": {"channel": "sms", "to": "{{ trigger.from }}",
                                               "response": "bank/hours"},
                                    "exits": {"next": "bye", "error": "sorry"}},
                         "bye": {"type": "end", "config": {"text": "Bye."}},
                         "sorry": {"type": "end", "config": {"text": "Sorry."}}}}


def hours_set(text: str, **responses: dict) -> str:
    """Return responses/bank.json with an `hours` response whose SMS variant says `text`."""
    return json.dumps({"schema": "callwright/responses@1", "id": "bank", "responses": {
        "hours": {"text": "We are open 8 to 20.", "variants": [
            {"channel": "sms", "text": text},
            {"channel": "chat", "text": "Mon-Fri 8-20.", "quick_replies": ["Agent"]}]},
        **responses}})


def sms_runtime(task_queue, gateway, make_workspace, flow: dict, responses: str) -> Runtime:
    """Return a runtime of a workspace with a flow and responses/bank.json, sending at once."""
    root = make_workspace(flow)
    (root / "responses").mkdir()
    (root / "responses" / "bank.json").write_text(responses, "utf-8")
    task_queue(f'[sms]\ngateway = "{gateway.url}"\nfrom = "+4930999000"\n'
               '[webhooks]\nsecret = "secret"\n[http]\nallow = ["127.0.0.0/8"]\n'
               "[tasks]\nimmediate = true\n", root=root)
    return Runtime.open(root)


def test_a_send_of_a_named_response_sends_the_live_version_not_the_file_changed_since(
        task_queue, gateway, make_workspace):
    runtime = sms_runtime(task_queue, gateway, make_workspace, HOURS_FLOW,
                          hours_set("Acme: 8-20, you wrote {{ trigger.text }}"))
    try:
        # changed on disk but not taken live (no reload): the published version is what is sent
        (runtime.workspace.root / "responses" / "bank.json").write_text(
            hours_set("Not published yet."), "utf-8")
        turn = runtime.chat_turn("hours", None, "when", channel="sms", sender="+4915112345678")
    finally:
        runtime.close()
    assert [reply["text"] for reply in turn["replies"] if reply["event"] == "say"] == ["Bye."]
    [request] = gateway.requests
    assert json.loads(request["body"])["text"] == "Acme: 8-20, you wrote when"


def test_an_unknown_response_takes_the_send_blocks_error_exit_naming_it(
        task_queue, gateway, make_workspace):
    runtime = sms_runtime(task_queue, gateway, make_workspace, HOURS_FLOW, hours_set("8-20"))
    try:
        # the set goes live again without the response the live flow names (a flow is checked
        # against the sets when it goes live, not again when a set changes after it)
        (runtime.workspace.root / "responses" / "bank.json").write_text(json.dumps(
            {"schema": "callwright/responses@1", "id": "bank",
             "responses": {"fees": {"text": "No fees."}}}), "utf-8")
        runtime.workspace.reload()
        turn = runtime.chat_turn("hours", None, "when", channel="sms", sender="+4915112345678")
        [send, _] = runtime.executions.steps(turn["session"])
    finally:
        runtime.close()
    assert (send["block"], send["exit"]) == ("notify", "error")
    assert send["note"] == "response 'bank/hours': set 'bank' has no response 'hours'"
    assert [reply["text"] for reply in turn["replies"] if reply["event"] == "say"] == ["Sorry."]
    assert gateway.requests == []  # nothing was queued to fail later
