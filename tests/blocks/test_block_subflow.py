"""The `subflow` block: hand inputs to another flow, copy its outputs back, then `next`."""

import asyncio

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.subflow import SubflowBlock
from blocks.registry import Registry
from blocks.sdk import Context, EnterSubflow
from blocks.sdk.testing import ScriptedHost, run_block

VALIDATOR = Draft7Validator(SubflowBlock.manifest["config_schema"])
VERIFY = {"flow": "verify-caller",
          "inputs": {"account": "{{ vars.account }}", "greeting": "Hello {{ vars.name }}",
                     "limit": 3, "profile": "{{ vars.profile }}"},
          "outputs": {"vars.verified": "ok", "contact.crm_id": "crm_id"}}
VARS = {"account": 12345678, "name": "Ada", "profile": {"tier": "gold"}}


def enter(config, vars):
    """Run the block on a fresh session and return the subflow call it makes."""
    host = ScriptedHost(channel="chat", inputs=(), http=None, transfer="connected", now=None,
                        random_values=None, secrets=None)
    ctx = Context(host, vars=vars, contact={}, trigger={"channel": "chat"})
    ctx.enter("verify", config, {})
    with pytest.raises(EnterSubflow) as call:
        asyncio.run(SubflowBlock("verify", config).run(ctx))
    return call.value, host.events


def test_entering_hands_the_engine_the_flow_and_its_evaluated_inputs():
    call, events = enter(VERIFY, dict(VARS))
    assert call.flow == "verify-caller"
    # One whole expression keeps its type; a mixed text renders to text; literals pass as is.
    assert call.inputs == {"account": 12345678, "greeting": "Hello Ada", "limit": 3,
                           "profile": {"tier": "gold"}}
    assert events == []


def test_a_subflow_without_inputs_gets_an_empty_mapping():
    call, _ = enter({"flow": "goodbye"}, {})
    assert call.flow == "goodbye" and call.inputs == {}


def test_the_finished_subflow_outputs_are_stored_and_next_is_taken():
    result = run_block(SubflowBlock, VERIFY, vars=VARS,
                       subflow_result={"outputs": {"ok": True, "crm_id": "C-1", "extra": 1},
                                       "disposition": "completed"})
    assert result.exit == "next"
    assert result.vars["verified"] is True
    assert result.contact == {"crm_id": "C-1"}
    assert "extra" not in result.vars


def test_an_output_the_subflow_did_not_set_is_stored_as_none():
    result = run_block(SubflowBlock, VERIFY, vars=VARS,
                       subflow_result={"outputs": {"ok": False}, "disposition": "completed"})
    assert result.exit == "next"
    assert result.vars["verified"] is False and result.contact == {"crm_id": None}


def test_a_subflow_that_ended_in_error_takes_the_error_exit_and_stores_nothing():
    result = run_block(SubflowBlock, VERIFY, vars=VARS,
                       subflow_result={"outputs": {"ok": True}, "disposition": "error"})
    assert result.exit == "error"
    assert "verify-caller" in result.error
    assert "verified" not in result.vars and result.contact == {}


def test_the_error_message_carries_the_engine_reason_when_there_is_one():
    result = run_block(SubflowBlock, VERIFY, vars=VARS,
                       subflow_result={"outputs": {}, "disposition": "error",
                                       "error": "unknown flow 'verify-caller'"})
    assert result.exit == "error"
    assert result.error == ("subflow 'verify-caller' ended with an error: "
                            "unknown flow 'verify-caller'")


def test_any_other_disposition_of_the_subflow_goes_on():
    result = run_block(SubflowBlock, {"flow": "survey"},
                       subflow_result={"outputs": {}, "disposition": "caller_hangup"})
    assert result.exit == "next"


def test_subflow_exits_are_next_and_error():
    assert SubflowBlock.exits_for(VERIFY) == ["next", "error"]


def test_check_reports_an_input_template_with_a_syntax_error():
    assert SubflowBlock.check(VERIFY) == []
    config = {**VERIFY, "inputs": {"account": "{{ vars.account ", "a/b": "{% if %}"}}
    problems = SubflowBlock.check(config)
    assert [pointer for pointer, _ in problems] == ["/inputs/account", "/inputs/a~1b"]
    assert all("line 1" in message for _, message in problems)


def test_subflow_schema_accepts_a_full_config():
    assert list(VALIDATOR.iter_errors(VERIFY)) == []


@pytest.mark.parametrize("config", [
    {},
    {"inputs": {}},
    {"flow": ""},
    {"flow": "bad flow"},
    {"flow": 7},
    {"flow": "x", "inputs": []},
    {"flow": "x", "inputs": {"not a name": 1}},
    {"flow": "x", "outputs": {"verified": "ok"}},
    {"flow": "x", "outputs": {"trigger.text": "ok"}},
    {"flow": "x", "outputs": {"vars.ok": 1}},
    {"flow": "x", "outputs": {"vars.ok": "not a name"}},
    {"flow": "x", "version": 2},
])
def test_subflow_schema_rejects_bad_configs(config):
    assert list(VALIDATOR.iter_errors(config)) != []


def test_subflow_manifest_keeps_inputs_raw_and_documents_every_field():
    manifest = SubflowBlock.manifest
    assert {"flow", "inputs", "outputs"} <= set(manifest["raw_fields"])
    assert manifest["capabilities"] == ["subflow"]
    for name, field in manifest["config_schema"]["properties"].items():
        assert field.get("title") and field.get("description"), name


def test_registry_accepts_the_subflow_manifest():
    registry = Registry()
    assert registry.register(SubflowBlock) is not None
    assert not registry.broken
