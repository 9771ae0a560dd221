"""The `menu` block: keys on the phone, keys, labels and synonyms in words; IVR retries."""


import pytest
from jsonschema import Draft7Validator

from blocks.builtin.menu import MenuBlock
from blocks.registry import Registry
from blocks.sdk import Input
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(MenuBlock.manifest["config_schema"])
MAIN = {"prompt": "For your balance press 1. For an agent press 0.",
        "options": [{"key": "1", "label": "Balance", "exit": "balance"},
                    {"key": "0", "label": "Agent", "exit": "agent",
                     "synonyms": ["operator", "Human"]}],
        "timeout_s": 5, "max_attempts": 3,
        "noinput_prompt": "Sorry, I did not get that.",
        "nomatch_prompt": "That is not one of the choices."}


def says(result):
    return [e["text"] for e in result.of("say")]


# --- choosing -------------------------------------------------------------------------------------
def test_a_key_press_takes_the_option_exit():  # on the phone, where a caller may also speak
    result = run_block(MenuBlock, MAIN, inputs=["0"], channel="voice", block_id="main_menu")
    assert result.exit == "agent"
    assert result.events == [
        {"event": "ask", "block": "main_menu", "prompt": MAIN["prompt"], "kind": "choice",
         "choices": [{"key": "1", "label": "Balance"},
                     {"key": "0", "label": "Agent", "synonyms": ["operator", "Human"]}],
         "timeout_s": 5},
        {"event": "input", "text": "0", "mode": "dtmf"}]


def test_on_the_phone_the_choices_carry_their_synonyms_for_the_speech_grammar():
    chat = run_block(MenuBlock, MAIN, inputs=["0"], channel="chat", block_id="main_menu")
    assert "synonyms" not in chat.events[0]["choices"][1]


@pytest.mark.parametrize("answer, exit", [
    ("1", "balance"), ("balance", "balance"), ("  BALANCE ", "balance"), ("agent", "agent"),
    ("Operator", "agent"), ("human", "agent"), (" 0", "agent")])
def test_chat_matches_key_label_or_synonym_ignoring_case_and_space(answer, exit):
    assert run_block(MenuBlock, MAIN, inputs=[answer]).exit == exit


def test_speech_on_the_phone_matches_labels_and_synonyms():
    result = run_block(MenuBlock, MAIN, inputs=[Input(" Operator", "speech", 0.8)],
                       channel="voice")
    assert result.exit == "agent"


def test_a_key_press_matches_keys_only():
    # "2" is a synonym of the balance option: typed it selects, pressed it is not a key.
    config = {**MAIN, "options": [{**MAIN["options"][0], "synonyms": ["2"]}, MAIN["options"][1]],
              "max_attempts": 1}
    assert run_block(MenuBlock, config, inputs=["2"], channel="chat").exit == "balance"
    pressed = run_block(MenuBlock, config, inputs=["2"], channel="voice")
    assert pressed.events[1]["mode"] == "dtmf"
    assert pressed.exit == "failed"
    assert run_block(MenuBlock, config, inputs=[Input("agent", "dtmf")]).exit == "failed"


def test_the_variable_receives_the_chosen_key():
    result = run_block(MenuBlock, {**MAIN, "variable": "vars.menu.choice"}, inputs=["human"])
    assert result.vars == {"menu": {"choice": "0"}}


def test_without_a_variable_nothing_is_stored():
    assert run_block(MenuBlock, MAIN, inputs=["1"]).vars == {}


def test_an_option_without_label_offers_its_key():
    config = {"prompt": "Press 9 to repeat.", "options": [{"key": "9", "exit": "repeat"}]}
    result = run_block(MenuBlock, config, inputs=["9"])
    assert result.of("ask")[0]["choices"] == [{"key": "9", "label": "9"}]
    assert result.exit == "repeat"


def test_prompts_and_labels_are_rendered_templates():
    config = {**MAIN, "prompt": "Hello {{ vars.name }}.",
              "options": [{"key": "1", "label": "{{ vars.product }}", "exit": "product"}],
              "nomatch_prompt": "Not that, {{ vars.name }}."}
    result = run_block(MenuBlock, config, vars={"name": "Ada", "product": "Savings"},
                       inputs=["loans", "savings"])
    assert result.exit == "product"
    assert result.of("ask")[0]["prompt"] == "Hello Ada."
    assert result.of("ask")[0]["choices"] == [{"key": "1", "label": "Savings"}]
    assert says(result) == ["Not that, Ada."]


# --- retries --------------------------------------------------------------------------------------
def test_noinput_and_nomatch_play_their_prompts_then_a_choice_is_taken():
    result = run_block(MenuBlock, MAIN, inputs=[None, "7", "1"], channel="voice")
    assert result.exit == "balance"
    assert [(e["event"], e.get("text")) for e in result.events] == [
        ("ask", None), ("noinput", None), ("say", "Sorry, I did not get that."),
        ("ask", None), ("input", "7"), ("say", "That is not one of the choices."),
        ("ask", None), ("input", "1")]


def test_after_max_attempts_the_menu_takes_failed():
    result = run_block(MenuBlock, MAIN, inputs=["7", "pizza", None, "1"])
    assert result.exit == "failed"
    assert len(result.of("ask")) == 3
    assert says(result) == ["That is not one of the choices.", "That is not one of the choices.",
                            "Sorry, I did not get that."]
    assert result.state == {}


def test_max_attempts_defaults_to_three():
    config = {"prompt": "Press 1.", "options": [{"key": "1", "exit": "one"}]}
    result = run_block(MenuBlock, config, inputs=[])
    assert result.exit == "failed"
    assert [e["event"] for e in result.events] == ["ask", "noinput", "say"] * 3
    assert result.of("ask")[0]["timeout_s"] == 5


# --- built-in retry prompts, when the flow sets none ----------------------------------------------
BARE = {"prompt": "Balance or agent?", "options": MAIN["options"]}


@pytest.mark.parametrize("channel", ["chat", "sms", "voice"])
def test_without_retry_prompts_the_built_in_ones_are_said_on_every_channel(channel):
    result = run_block(MenuBlock, BARE, channel=channel, inputs=["pizza", None, "0"])
    assert result.exit == "agent"
    assert says(result) == ["That is not one of the choices.", "Sorry, I did not get that."]


@pytest.mark.parametrize(("contact", "settings", "said"), [
    ({"language": "ru"}, {}, "Такого варианта нет среди предложенных."),
    ({}, {"language": "ru-RU"}, "Такого варианта нет среди предложенных."),
    ({"language": "en-GB"}, {"language": "ru-RU"}, "That is not one of the choices."),
    ({}, {"language": "de-DE"}, "That is not one of the choices."),  # no German table: English
    ({}, {}, "That is not one of the choices."),
], ids=["contact-ru", "flow-ru", "contact-before-flow", "unknown-language", "no-language"])
def test_the_built_in_prompt_speaks_the_sessions_language(contact, settings, said):
    result = run_block(MenuBlock, BARE, contact=contact, settings=settings, inputs=["pizza", "1"])
    assert says(result) == [said]


def test_the_built_in_noinput_prompt_is_in_russian_too():
    result = run_block(MenuBlock, BARE, settings={"language": "ru-RU"}, inputs=[None, "1"])
    assert says(result) == ["Извините, ответ не получен."]


def test_an_empty_retry_prompt_is_silence():
    config = {**BARE, "noinput_prompt": "", "nomatch_prompt": ""}
    result = run_block(MenuBlock, config, inputs=["pizza", None, "1"])
    assert result.exit == "balance" and says(result) == []


def test_a_chat_answer_that_matches_nothing_hears_the_built_in_line_in_the_next_turn():
    outcome, _, state = turn(BARE, {})
    outcome, events, state = turn(BARE, state, Input("pizza"))
    assert outcome == "waiting"
    assert [(e["event"], e.get("text")) for e in events] == [
        ("say", "That is not one of the choices."), ("ask", None)]


def test_one_attempt_fails_at_once():
    result = run_block(MenuBlock, {**MAIN, "max_attempts": 1}, inputs=["9", "1"])
    assert result.exit == "failed"
    assert says(result) == ["That is not one of the choices."]


# --- re-runs after a wait (chat: the answer arrives in a later turn) ------------------------------
def turn(config, saved_state, *answer):
    """Run one chat turn: the saved state, and the answer that arrived (none on the first turn)."""
    result = run_block(MenuBlock, config, state=saved_state, suspend=True, block_id="main_menu",
                       trigger={"channel": "chat", "text": "hi"},
                       **({"resume": answer[0]} if answer else {}))
    return ("waiting" if result.waiting else result.exit), result.events, result.state


def test_a_rerun_after_a_wait_does_not_repeat_the_menu():
    outcome, events, state = turn(MAIN, {})
    assert outcome == "waiting" and [e["event"] for e in events] == ["ask"]

    outcome, events, state = turn(MAIN, state, Input("pizza"))
    assert outcome == "waiting"
    assert [(e["event"], e.get("text")) for e in events] == [
        ("say", "That is not one of the choices."), ("ask", None)]

    outcome, events, state = turn(MAIN, state, Input("Human"))
    assert outcome == "agent"
    assert events == []


def test_reruns_count_attempts_across_turns_until_failed():
    config = {**MAIN, "max_attempts": 2}
    _, _, state = turn(config, {})
    outcome, _, state = turn(config, state, None)
    assert outcome == "waiting"
    outcome, events, state = turn(config, state, Input("pizza"))
    assert outcome == "failed"
    assert [(e["event"], e.get("text")) for e in events] == [
        ("say", "That is not one of the choices.")]


# --- config ---------------------------------------------------------------------------------------
def test_exits_are_the_option_exits_plus_failed_and_error():
    config = {**MAIN, "options": MAIN["options"] + [{"key": "2", "exit": "balance"}]}
    assert MenuBlock.exits_for(config) == ["failed", "balance", "agent", "error"]


def test_check_reports_duplicate_keys_with_their_pointer():
    config = {**MAIN, "options": MAIN["options"] + [{"key": "1", "label": "Again", "exit": "x"}]}
    problems = MenuBlock.check(config)
    assert [pointer for pointer, _ in problems] == ["/options/2/key"]
    assert "option 0" in problems[0][1]


def test_check_reports_a_synonym_that_selects_two_options():
    config = {**MAIN, "options": [MAIN["options"][0],
                                  {**MAIN["options"][1], "synonyms": ["human", "BALANCE"]}]}
    assert [p for p, _ in MenuBlock.check(config)] == ["/options/1/synonyms/1"]


def test_check_accepts_a_sound_menu_and_an_option_repeating_its_own_key():
    options = MAIN["options"] + [{"key": "help", "label": "Help", "exit": "help"}]
    assert MenuBlock.check({**MAIN, "options": options}) == []


def test_menu_schema_accepts_the_design_example():
    assert list(VALIDATOR.iter_errors({**MAIN, "variable": "vars.choice"})) == []


@pytest.mark.parametrize("config", [
    {"prompt": "?"},
    {"options": MAIN["options"]},
    {**MAIN, "options": []},
    {**MAIN, "options": [{"key": "1", "label": "One"}]},
    {**MAIN, "options": [{"exit": "one"}]},
    {**MAIN, "options": [{"key": "", "exit": "one"}]},
    {**MAIN, "options": [{"key": "1", "exit": "failed"}]},
    {**MAIN, "options": [{"key": "1", "exit": "error"}]},
    {**MAIN, "options": [{"key": "1", "exit": "has space"}]},
    {**MAIN, "options": [{"key": "1", "exit": "one", "synonyms": "uno"}]},
    {**MAIN, "options": [{"key": "1", "exit": "one", "colour": "red"}]},
    {**MAIN, "options": [{"key": 1, "exit": "one"}]},
    {**MAIN, "timeout_s": 0},
    {**MAIN, "max_attempts": 0},
    {**MAIN, "max_attempts": 11},
    {**MAIN, "variable": "choice"},
    {**MAIN, "default": "balance"},
])
def test_menu_schema_rejects_bad_configs(config):
    assert list(VALIDATOR.iter_errors(config)) != []


def test_menu_manifest_waits_derives_exits_and_documents_every_field():
    manifest = MenuBlock.manifest
    assert manifest["waits"] is True
    assert manifest["exits_from"] == [{"list": "options", "field": "exit"}]
    schema = manifest["config_schema"]
    fields = list(schema["properties"].items())
    fields += list(schema["properties"]["options"]["items"]["properties"].items())
    for name, field in fields:
        assert field.get("title") and field.get("description"), name


def test_registry_accepts_the_menu_manifest():
    registry = Registry()
    block_type = registry.register(MenuBlock)
    assert block_type is not None and not registry.broken
    assert block_type.exits_for(MAIN) == ["failed", "balance", "agent", "error"]
