"""The `transfer` block: a connected transfer ends the session; other outcomes are exits."""

import asyncio

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.transfer import TransferBlock
from blocks.registry import Registry
from blocks.sdk import Context, EndSession
from blocks.sdk.testing import ScriptedHost, run_block

VALIDATOR = Draft7Validator(TransferBlock.manifest["config_schema"])


def test_a_connected_transfer_ends_the_session_as_transferred():
    result = run_block(TransferBlock, {"target": {"queue": "support"}}, transfer="connected",
                       block_id="to_agent", channel="voice")
    assert result.exit is None
    assert result.disposition == "transferred"
    assert result.events == [{"event": "transfer", "block": "to_agent",
                              "target": {"queue": "support"}}]


@pytest.mark.parametrize("status", ["busy", "noanswer", "failed"])
def test_an_unconnected_transfer_takes_the_exit_named_by_its_status(status):
    result = run_block(TransferBlock, {"target": {"number": "+4930123456"}}, transfer=status)
    assert result.exit == status
    assert result.disposition is None


def test_an_unknown_status_takes_the_error_exit():
    result = run_block(TransferBlock, {"target": {"agent": "a-17"}}, transfer="ringing")
    assert result.exit == "error"
    assert "ringing" in result.error


def test_the_target_is_a_rendered_template():
    result = run_block(TransferBlock, {"target": {"uri": "sip:{{ vars.ext }}@pbx.example.com"}},
                       vars={"ext": "204"})
    assert result.of("transfer")[0]["target"] == {"uri": "sip:204@pbx.example.com"}


def test_a_target_that_renders_empty_takes_the_error_exit_without_transferring():
    result = run_block(TransferBlock, {"target": {"number": "{{ vars.missing }}"}})
    assert result.exit == "error"
    assert "number" in result.error
    assert result.events == []


class RecordingHost(ScriptedHost):
    """A host that records the ring timeout a transfer was given."""

    def __init__(self) -> None:
        super().__init__(channel="voice", inputs=(), http=None, transfer="connected", now=None,
                         random_values=None, secrets=None)
        self.timeouts: list = []

    async def transfer(self, target, timeout_s):
        self.timeouts.append(timeout_s)
        return "noanswer"


@pytest.mark.parametrize("config, timeout", [
    ({"target": {"queue": "sales"}}, 30),
    ({"target": {"queue": "sales"}, "timeout_s": 12}, 12),
])
def test_the_ring_timeout_reaches_the_channel(config, timeout):
    host = RecordingHost()
    ctx = Context(host, vars={}, contact={}, trigger={"channel": "voice"})
    ctx.enter("to_sales", config, {})
    assert asyncio.run(TransferBlock("to_sales", config).run(ctx)) == "noanswer"
    assert host.timeouts == [timeout]


def test_connected_is_an_end_signal_not_an_error():
    host = ScriptedHost(channel="voice", inputs=(), http=None, transfer="connected", now=None,
                        random_values=None, secrets=None)
    ctx = Context(host, vars={}, contact={}, trigger={"channel": "voice"})
    config = {"target": {"queue": "sales"}}
    ctx.enter("to_sales", config, {})
    with pytest.raises(EndSession) as end:
        asyncio.run(TransferBlock("to_sales", config).run(ctx))
    assert end.value.disposition == "transferred"


def test_transfer_exits_are_busy_noanswer_failed_and_error():
    assert TransferBlock.exits_for({"target": {"queue": "q"}}) == [
        "busy", "noanswer", "failed", "error"]


@pytest.mark.parametrize("target", [
    {"number": "+4930123456"}, {"uri": "sip:support@pbx.example.com"}, {"queue": "support"},
    {"agent": "{{ vars.agent_id }}"}])
def test_transfer_schema_accepts_each_kind_of_target(target):
    assert list(VALIDATOR.iter_errors({"target": target, "timeout_s": 20})) == []


@pytest.mark.parametrize("config", [
    {},
    {"timeout_s": 20},
    {"target": {}},
    {"target": {"number": "+4930123456", "queue": "support"}},
    {"target": {"uri": "sip:a@b", "agent": "a-1"}},
    {"target": {"extension": "204"}},
    {"target": {"number": ""}},
    {"target": {"number": 4930123456}},
    {"target": "support"},
    {"target": {"queue": "support"}, "timeout_s": 0},
    {"target": {"queue": "support"}, "timeout_s": 601},
    {"target": {"queue": "support"}, "timeout_s": "30"},
    {"target": {"queue": "support"}, "whisper": "hi"},
])
def test_transfer_schema_rejects_bad_configs(config):
    assert list(VALIDATOR.iter_errors(config)) != []


def test_transfer_manifest_documents_every_field():
    schema = TransferBlock.manifest["config_schema"]
    fields = list(schema["properties"].items())
    fields += list(schema["properties"]["target"]["properties"].items())
    for name, field in fields:
        assert field.get("title") and field.get("description"), name


def test_registry_accepts_the_transfer_manifest():
    registry = Registry()
    assert registry.register(TransferBlock) is not None
    assert not registry.broken
