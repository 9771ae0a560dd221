"""runtime.validation.bots: a bot file's problems, and flows' references to bots and intents."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from blocks.registry import default_registry
from runtime.validation import validate_bot, validate_file, validate_flow, validate_workspace

BOT = {"schema": "callwright/bot@1", "id": "bank", "name": "Bank assistant",
       "languages": ["en", "ru"], "min_confidence": 0.5,
       "intents": {
           "balance": {"examples": {"en": ["what is my balance"], "ru": ["какой у меня баланс"]},
                       "keywords": {"en": ["balance"], "ru": ["баланс"]}},
           "opening_hours": {"examples": {"en": ["when are you open"],
                                          "ru": ["когда вы работаете"]},
                             "response": "bank/opening_hours"}},
       "entities": {"account": {"kind": "digits", "min_length": 8, "max_length": 8},
                    "card": {"kind": "list", "values": {"debit": ["debit", "дебетовая"]}}}}


def bot(**changes) -> dict:
    """Return a copy of the sound bot with top-level changes."""
    return {**copy.deepcopy(BOT), **changes}


def rows(problems) -> list[tuple[str, str, str]]:
    return [(p.severity, p.pointer, p.message) for p in problems]


def test_a_sound_bot_has_no_problems():
    assert validate_bot(BOT) == []


@pytest.mark.parametrize("change, pointer", [
    ({"languages": ["english"]}, "/languages/0"),
    ({"languages": []}, "/languages"),
    ({"min_confidence": 2}, "/min_confidence"),
    ({"intents": {"balance": {"examples": {}}}}, "/intents/balance/examples"),
    ({"intents": {"balance": {"keywords": {"en": ["x"]}}}}, "/intents/balance"),
    ({"intents": {"fallback": {"examples": {"en": ["help"]}}}}, "/intents/fallback"),
    ({"intents": {"balance": {"examples": {"en": ["?!"]}}}}, "/intents/balance/examples/en/0"),
    ({"intents": {"balance": {"examples": {"en": ["x"]}, "response": "no-set"}}},
     "/intents/balance/response"),
    ({"entities": {"card": {"kind": "list"}}}, "/entities/card"),
    ({"entities": {"card": {"kind": "list", "values": {}}}}, "/entities/card/values"),
    ({"entities": {"n": {"kind": "number", "min_length": 3}}}, "/entities/n/min_length"),
    ({"entities": {"n": {"kind": "digits", "values": {"a": []}}}}, "/entities/n/values"),
    ({"surprise": 1}, "/surprise"),
])
def test_a_bot_breaking_its_schema_is_an_error_at_the_pointer(change, pointer):
    problems = validate_bot(bot(**change))
    assert pointer in [p.pointer for p in problems if p.is_error], rows(problems)


def test_a_list_entity_with_no_values_says_so():
    [problem] = validate_bot(bot(entities={"card": {"kind": "list", "values": {}}}))
    assert (problem.pointer, problem.is_error) == ("/entities/card/values", True)
    assert "non-empty" in problem.message or "few properties" in problem.message


def test_digits_whose_lengths_cross_are_an_error():
    problems = validate_bot(bot(entities={"n": {"kind": "digits", "min_length": 9,
                                                "max_length": 8}}))
    assert rows(problems) == [("error", "/entities/n/min_length",
                               "min_length 9 is more than max_length 8")]


def test_two_intents_sharing_an_example_are_warned_about_at_both_places():
    doc = bot()
    doc["intents"]["hours"] = {"examples": {"en": ["When are you OPEN?"], "ru": ["часы"]}}
    problems = validate_bot(doc)
    assert [(p.severity, p.pointer) for p in problems] == [
        ("warning", "/intents/hours/examples/en/0"),
        ("warning", "/intents/opening_hours/examples/en/0")]
    assert "/intents/opening_hours/examples/en/0" in problems[0].message
    assert "/intents/hours/examples/en/0" in problems[1].message


def test_an_example_repeated_in_one_intent_is_warned_about_too():
    doc = bot()
    doc["intents"]["balance"]["examples"]["ru"].append("Какой у меня баланс?")
    assert [p.pointer for p in validate_bot(doc)] == ["/intents/balance/examples/ru/0",
                                                      "/intents/balance/examples/ru/1"]


def test_yo_and_ye_make_the_same_example():
    doc = bot()
    doc["intents"]["balance"]["examples"]["ru"] = ["сколько на счёте"]
    doc["intents"]["opening_hours"]["examples"]["ru"].append("сколько на счете")
    assert len(validate_bot(doc)) == 2


def test_an_intent_with_no_example_in_a_declared_language_is_a_warning():
    doc = bot()
    del doc["intents"]["balance"]["examples"]["ru"]
    assert rows(validate_bot(doc)) == [
        ("warning", "/intents/balance/examples",
         "intent 'balance' has no example in 'ru', a language the bot declares: messages in "
         "it can match only its keywords")]


def test_phrases_in_an_undeclared_language_are_a_warning():
    doc = bot(languages=["en"])
    assert {p.pointer for p in validate_bot(doc)} == {
        "/intents/balance/examples/ru", "/intents/balance/keywords/ru",
        "/intents/opening_hours/examples/ru"}


# --- flows naming bots ------------------------------------------------------------------------

def bot_flow(config: dict | None = None, exits: dict | None = None) -> dict:
    """Return a flow whose bot block reads the trigger with the bank bot."""
    return {"schema": "callwright/flow@1", "id": "chat", "start": "ask",
            "blocks": {"ask": {"type": "bot", "config": config or {"bot": "bank"},
                               "exits": exits or {"balance": "done", "answered": "done",
                                                  "fallback": "done"}},
                       "done": {"type": "end"}}}


def check(doc: dict, bots: dict | None) -> list[tuple[str, str, str]]:
    return rows(validate_flow(doc, default_registry(), bots=bots))


def test_a_flow_naming_a_bot_and_its_intents_is_sound():
    assert check(bot_flow(), {"bank": BOT}) == []


def test_a_flow_naming_an_unknown_bot_is_an_error_at_its_config():
    assert check(bot_flow({"bot": "shop"}), {"bank": BOT}) == [
        ("error", "/blocks/ask/config/bot", "bot 'shop' is not a bot of the workspace "
                                            "(bots: bank)")]


def test_an_exit_naming_no_intent_is_an_error_at_the_exit():
    problems = check(bot_flow(exits={"balanse": "done"}), {"bank": BOT})
    assert problems == [("error", "/blocks/ask/exits/balanse",
                         "bot 'bank' has no intent 'balanse' (the block's exits: answered, "
                         "fallback, error, balance)")]


def test_an_auto_response_intent_is_no_exit_of_its_own():
    [(_, pointer, message)] = check(bot_flow(exits={"opening_hours": "done"}), {"bank": BOT})
    assert pointer == "/blocks/ask/exits/opening_hours"
    assert "has a response" in message and "'answered'" in message


def test_without_the_workspace_bots_the_references_are_not_checked():
    assert check(bot_flow({"bot": "shop"}, {"anything": "done"}), None) == []


def test_the_exits_of_a_broken_bot_are_not_checked():
    assert check(bot_flow(exits={"nope": "done"}), {"bank": None}) == []


def test_an_unconnected_exit_pointing_nowhere_is_still_an_error():
    problems = check(bot_flow(exits={"balance": "gone"}), {"bank": BOT})
    assert [p[1] for p in problems if p[0] == "error"] == ["/blocks/ask/exits/balance"]


# --- files and workspaces ---------------------------------------------------------------------

def write(path: Path, doc) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False, indent=2),
                    "utf-8")
    return path


RESPONSES = {"schema": "callwright/responses@1", "id": "bank",
             "responses": {"opening_hours": {"text": "We are open 8 to 20."}}}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write(tmp_path / "flows" / "chat.json", bot_flow())
    write(tmp_path / "bots" / "bank.json", BOT)
    write(tmp_path / "responses" / "bank.json", RESPONSES)
    return tmp_path


def test_a_workspace_checks_its_bots_and_the_flows_naming_them(workspace: Path):
    assert validate_workspace(workspace) == []
    write(workspace / "flows" / "chat.json", bot_flow({"bot": "shop"}))
    [problem] = validate_workspace(workspace)
    assert (problem.pointer, problem.file) == ("/blocks/ask/config/bot",
                                               str(workspace / "flows" / "chat.json"))


def test_a_broken_bot_file_is_reported_with_file_and_line_and_its_flows_spared(workspace: Path):
    doc = bot()
    doc["languages"] = ["english"]
    write(workspace / "bots" / "bank.json", doc)
    [problem] = validate_workspace(workspace)
    assert (problem.file, problem.pointer) == (str(workspace / "bots" / "bank.json"),
                                               "/languages/0")
    assert problem.line == 6


def test_a_bot_id_must_match_its_file_name(workspace: Path):
    write(workspace / "bots" / "bank.json", bot(id="shop"))
    assert [(p.pointer, p.message) for p in validate_workspace(workspace)] == [
        ("/id", "bot id 'shop' does not match its file name 'bank.json'")]


def test_validate_file_checks_a_bot_file(workspace: Path):
    path = workspace / "bots" / "bank.json"
    assert validate_file(path) == []
    write(path, bot(min_confidence=-1))
    assert [(p.file, p.pointer) for p in validate_file(path)] == [(str(path), "/min_confidence")]


def test_validate_file_checks_a_flow_against_the_bots_of_its_workspace(workspace: Path):
    path = write(workspace / "flows" / "chat.json", bot_flow(exits={"nope": "done"}))
    assert [p.pointer for p in validate_file(path)] == ["/blocks/ask/exits/nope"]


def test_an_intent_naming_a_missing_response_is_an_error_and_its_flows_still_checked(
        workspace: Path):
    doc = bot()
    doc["intents"]["opening_hours"]["response"] = "bank/opening_hour"
    write(workspace / "bots" / "bank.json", doc)
    write(workspace / "flows" / "chat.json", bot_flow(exits={"nope": "done"}))
    assert [(Path(p.file).name, p.pointer, p.message) for p in validate_workspace(workspace)] == [
        ("bank.json", "/intents/opening_hours/response",
         "responses set 'bank' has no response 'opening_hour' (did you mean "
         "'bank/opening_hours'?)"),
        ("chat.json", "/blocks/ask/exits/nope",
         "bot 'bank' has no intent 'nope' (the block's exits: answered, fallback, error, "
         "balance)")]


def test_a_missing_response_is_an_error_even_in_a_bot_with_warnings(workspace: Path):
    doc = bot()
    doc["intents"]["opening_hours"]["response"] = "bank/nope"
    del doc["intents"]["balance"]["examples"]["ru"]  # a warning of its own
    path = write(workspace / "bots" / "bank.json", doc)
    for problems in (validate_workspace(workspace), validate_file(path)):
        assert [(p.severity, p.pointer) for p in problems] == [
            ("warning", "/intents/balance/examples"),
            ("error", "/intents/opening_hours/response")], problems
