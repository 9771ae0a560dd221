"""The `ask` block: validated answers, noinput/nomatch retries, and re-runs after a wait."""


import pytest
from jsonschema import Draft7Validator

from blocks.builtin.ask import AskBlock
from blocks.registry import Registry
from blocks.sdk import Input
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(AskBlock.manifest["config_schema"])
ACCOUNT = {"prompt": "Enter your account number.", "variable": "vars.account", "kind": "digits",
           "min_length": 4, "max_length": 8, "noinput_prompt": "Sorry, I did not hear you.",
           "nomatch_prompt": "That is not an account number."}


def says(result):
    return [e["text"] for e in result.of("say")]


# --- accepted answers ----------------------------------------------------------------------------
def test_digits_are_stored_as_text_and_take_next():
    result = run_block(AskBlock, ACCOUNT, inputs=["00123"])
    assert result.exit == "next"
    assert result.vars == {"account": "00123"}
    assert result.of("ask") == [{"event": "ask", "block": "block", "prompt": ACCOUNT["prompt"],
                                 "kind": "digits", "timeout_s": 5}]
    assert says(result) == []


def test_on_voice_the_ask_tells_the_port_the_longest_answer_and_the_key_that_ends_it():
    result = run_block(AskBlock, {**ACCOUNT, "terminator": "*"}, inputs=["1234"], channel="voice")
    ask = result.of("ask")[0]
    assert (ask["max_length"], ask["terminator"]) == (8, "*")
    unbounded = run_block(AskBlock, {"variable": "vars.x", "kind": "digits"}, inputs=["1"],
                          channel="voice").of("ask")[0]
    assert unbounded["terminator"] == "#" and "max_length" not in unbounded


def test_the_terminator_is_stripped_from_dtmf_digits():
    result = run_block(AskBlock, ACCOUNT, inputs=["1234#"], channel="voice")
    assert result.events[1]["mode"] == "dtmf"
    assert result.exit == "next" and result.vars["account"] == "1234"


def test_a_custom_terminator_is_stripped_and_the_default_is_not():
    result = run_block(AskBlock, {**ACCOUNT, "terminator": "*"}, inputs=["1234#", "1234*"],
                       channel="voice")
    assert result.exit == "next" and result.vars["account"] == "1234"
    assert says(result) == ["That is not an account number."]


def test_an_empty_terminator_strips_nothing():
    result = run_block(AskBlock, {**ACCOUNT, "terminator": "", "max_attempts": 1},
                       inputs=["1234#"], channel="voice")
    assert result.exit == "failed"


def test_number_answers_are_parsed_to_int_or_float():
    config = {"prompt": "How many?", "variable": "vars.order.count", "kind": "number"}
    assert run_block(AskBlock, config, inputs=[" 42 "]).vars == {"order": {"count": 42}}
    assert run_block(AskBlock, config, inputs=["-7"]).vars["order"]["count"] == -7
    assert run_block(AskBlock, config, inputs=["3.5"]).vars["order"]["count"] == 3.5


def test_a_number_keyed_on_the_phone_drops_its_terminator():
    config = {"prompt": "How many?", "variable": "vars.count", "kind": "number"}
    result = run_block(AskBlock, config, inputs=["12#"], channel="voice")
    assert result.vars == {"count": 12}


@pytest.mark.parametrize("answer", ["twelve", "1e3", "nan", "inf", "1,5", "1.2.3", "+", "٣"])
def test_anything_but_a_plain_number_is_a_nomatch(answer):
    config = {"prompt": "How many?", "variable": "vars.count", "kind": "number",
              "max_attempts": 1, "nomatch_prompt": "A number, please."}
    result = run_block(AskBlock, config, inputs=[answer])
    assert result.exit == "failed"
    assert says(result) == ["A number, please."]
    assert result.vars == {}


def test_text_answers_are_stored_trimmed_in_contact_paths_too():
    config = {"prompt": "Your e-mail?", "variable": "contact.email", "kind": "text"}
    result = run_block(AskBlock, config, inputs=["  ada@example.com "])
    assert result.exit == "next"
    assert result.contact == {"email": "ada@example.com"}


def test_kind_defaults_to_text():
    result = run_block(AskBlock, {"prompt": "Name?", "variable": "vars.name"}, inputs=["Ada #"])
    assert result.vars == {"name": "Ada #"}
    assert result.of("ask")[0]["kind"] == "text"


# --- validation -----------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["123", "123456789", "12a4", "12 34", "１２３４"])
def test_digits_outside_the_rules_are_a_nomatch(answer):
    result = run_block(AskBlock, {**ACCOUNT, "max_attempts": 1}, inputs=[answer])
    assert result.exit == "failed"
    assert says(result) == ["That is not an account number."]


def test_the_pattern_must_match_the_whole_answer():
    config = {"prompt": "Postcode?", "variable": "vars.postcode", "pattern": "[0-9]{5}",
              "nomatch_prompt": "Five digits, please."}
    result = run_block(AskBlock, config, inputs=["123456", "10115"])
    assert result.exit == "next" and result.vars == {"postcode": "10115"}
    assert says(result) == ["Five digits, please."]


def test_the_pattern_is_not_rendered_as_a_template():
    # `{#` opens a Jinja comment; as a template this pattern would not even compile.
    config = {"prompt": "Code?", "variable": "vars.code", "pattern": "[0-9]{2}[{#]"}
    result = run_block(AskBlock, config, inputs=["12#"])
    assert result.exit == "next" and result.vars == {"code": "12#"}


def test_length_limits_apply_to_text_answers():
    config = {"prompt": "Nickname?", "variable": "vars.nick", "min_length": 2, "max_length": 4,
              "nomatch_prompt": "2 to 4 letters."}
    result = run_block(AskBlock, config, inputs=["A", "Alexander", "Alex"])
    assert result.exit == "next" and result.vars == {"nick": "Alex"}
    assert says(result) == ["2 to 4 letters.", "2 to 4 letters."]


def test_a_blank_answer_is_a_nomatch():
    result = run_block(AskBlock, {"prompt": "Name?", "variable": "vars.name", "max_attempts": 1,
                                  "nomatch_prompt": "Say it again."}, inputs=["   "])
    assert result.exit == "failed" and says(result) == ["Say it again."]


# --- retries --------------------------------------------------------------------------------------
def test_noinput_then_nomatch_then_a_valid_answer_plays_each_prompt_once():
    result = run_block(AskBlock, ACCOUNT, inputs=[None, "12", "12345"], block_id="acct")
    assert result.exit == "next" and result.vars == {"account": "12345"}
    assert [(e["event"], e.get("text")) for e in result.events] == [
        ("ask", None), ("noinput", None), ("say", "Sorry, I did not hear you."),
        ("ask", None), ("input", "12"), ("say", "That is not an account number."),
        ("ask", None), ("input", "12345")]
    assert result.state == {}


def test_max_attempts_failures_take_failed_without_storing():
    result = run_block(AskBlock, ACCOUNT, inputs=["1", None, "x"])
    assert result.exit == "failed"
    assert len(result.of("ask")) == 3
    assert says(result) == ["That is not an account number.", "Sorry, I did not hear you.",
                            "That is not an account number."]
    assert result.vars == {}


def test_max_attempts_is_honoured():
    result = run_block(AskBlock, {**ACCOUNT, "max_attempts": 5}, inputs=[])
    assert result.exit == "failed"
    assert len(result.of("ask")) == 5
    assert says(result) == ["Sorry, I did not hear you."] * 5


def test_without_retry_prompts_the_built_in_ones_are_said():
    config = {"prompt": "PIN?", "variable": "vars.pin", "kind": "digits", "timeout_s": 8}
    result = run_block(AskBlock, config, inputs=["abc"])
    assert result.exit == "failed"
    assert [e["event"] for e in result.events] == ["ask", "input", "say", "ask", "noinput", "say",
                                                   "ask", "noinput", "say"]
    assert says(result) == ["Sorry, that is not a valid answer."] + \
        ["Sorry, I did not get that."] * 2
    assert all(e["timeout_s"] == 8 for e in result.of("ask"))


@pytest.mark.parametrize("channel", ["chat", "voice"])
def test_the_built_in_prompts_speak_the_sessions_language(channel):
    config = {"prompt": "ПИН?", "variable": "vars.pin", "kind": "digits", "max_attempts": 2}
    result = run_block(AskBlock, config, channel=channel, contact={"language": "ru"},
                       settings={"language": "en-US"}, inputs=["abc", None])
    assert says(result) == ["Извините, такой ответ не подходит.", "Извините, ответ не получен."]


def test_a_set_prompt_wins_over_the_built_in_one_and_an_empty_one_is_silence():
    config = {"prompt": "PIN?", "variable": "vars.pin", "kind": "digits", "max_attempts": 2,
              "nomatch_prompt": "Four digits, please.", "noinput_prompt": ""}
    result = run_block(AskBlock, config, settings={"language": "ru-RU"}, inputs=["abc", None])
    assert says(result) == ["Four digits, please."]


def test_prompts_are_rendered_templates():
    config = {"prompt": "{{ vars.name }}, your PIN?", "variable": "vars.pin", "kind": "digits",
              "nomatch_prompt": "No, {{ vars.name }}.", "max_attempts": 1}
    result = run_block(AskBlock, config, vars={"name": "Ada"}, inputs=["x"])
    assert result.of("ask")[0]["prompt"] == "Ada, your PIN?"
    assert says(result) == ["No, Ada."]


def test_a_variable_outside_vars_and_contact_takes_the_error_exit():
    result = run_block(AskBlock, {"prompt": "?", "variable": "trigger.text"}, inputs=["hi"])
    assert result.exit == "error" and "trigger.text" in result.error


# --- re-runs after a wait (chat: the answer arrives in a later turn) ------------------------------
def turn(config, saved_state, vars, *answer):
    """Run one chat turn: the saved state, and the answer that arrived (none on the first turn)."""
    result = run_block(AskBlock, config, state=saved_state, vars=vars, suspend=True,
                       block_id="acct", **({"resume": answer[0]} if answer else {}))
    vars.clear()
    vars.update(result.vars)
    return ("waiting" if result.waiting else result.exit), result.events, result.state


def test_a_rerun_after_a_wait_replays_silently_and_keeps_counting():
    vars = {}
    outcome, events, state = turn(ACCOUNT, {}, vars)
    assert outcome == "waiting"
    assert [e["event"] for e in events] == ["ask"]

    outcome, events, state = turn(ACCOUNT, state, vars, Input("12"))
    assert outcome == "waiting"
    assert [(e["event"], e.get("text")) for e in events] == [
        ("say", "That is not an account number."), ("ask", None)]

    outcome, events, state = turn(ACCOUNT, state, vars, None)
    assert outcome == "waiting"
    assert [(e["event"], e.get("text")) for e in events] == [
        ("say", "Sorry, I did not hear you."), ("ask", None)]

    outcome, events, state = turn(ACCOUNT, state, vars, Input("nope"))
    assert outcome == "failed"
    assert [(e["event"], e.get("text")) for e in events] == [
        ("say", "That is not an account number.")]
    assert vars == {} and state == {}


def test_a_rerun_with_a_valid_answer_emits_nothing_and_stores_it():
    vars = {}
    _, _, state = turn(ACCOUNT, {}, vars)
    _, _, state = turn(ACCOUNT, state, vars, Input("1"))
    outcome, events, state = turn(ACCOUNT, state, vars, Input("98765"))
    assert outcome == "next"
    assert events == []
    assert vars == {"account": "98765"}


# --- config ---------------------------------------------------------------------------------------
def test_ask_exits_are_next_failed_and_error():
    assert AskBlock.exits_for(ACCOUNT) == ["next", "failed", "error"]


def test_check_reports_a_broken_pattern_and_an_empty_length_range():
    assert AskBlock.check(ACCOUNT) == []
    problems = AskBlock.check({**ACCOUNT, "pattern": "([0-9]", "min_length": 9})
    assert [pointer for pointer, _ in problems] == ["/pattern", "/max_length"]


def test_ask_schema_accepts_a_full_config():
    config = {**ACCOUNT, "pattern": "[0-9]+", "terminator": "*", "timeout_s": 2.5,
              "max_attempts": 10}
    assert list(VALIDATOR.iter_errors(config)) == []


@pytest.mark.parametrize("config", [
    {"prompt": "?"},
    {"variable": "account"},
    {"variable": "vars."},
    {"variable": "trigger.text"},
    {"variable": "vars.x", "kind": "email"},
    {"variable": "vars.x", "timeout_s": 0},
    {"variable": "vars.x", "timeout_s": "5"},
    {"variable": "vars.x", "max_attempts": 0},
    {"variable": "vars.x", "max_attempts": 11},
    {"variable": "vars.x", "max_attempts": 2.5},
    {"variable": "vars.x", "min_length": -1},
    {"variable": "vars.x", "max_length": 0},
    {"variable": "vars.x", "terminator": "##"},
    {"variable": "vars.x", "prompt": 3},
    {"variable": "vars.x", "retries": 2},
])
def test_ask_schema_rejects_bad_configs(config):
    assert list(VALIDATOR.iter_errors(config)) != []


def test_ask_manifest_waits_and_documents_every_field():
    manifest = AskBlock.manifest
    assert manifest["waits"] is True
    assert "pattern" in manifest["raw_fields"]
    assert manifest["config_schema"]["additionalProperties"] is False
    for name, field in manifest["config_schema"]["properties"].items():
        assert field.get("title") and field.get("description"), name


def test_registry_accepts_the_ask_manifest():
    registry = Registry()
    assert registry.register(AskBlock) is not None
    assert not registry.broken
