"""runtime.validation.responses: a responses set's problems, and references to its responses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blocks.registry import default_registry
from runtime.validation import validate_file, validate_flow, validate_workspace
from runtime.validation.responses import validate_responses

SET = {"schema": "callwright/responses@1", "id": "bank",
       "responses": {"opening_hours": {
           "text": "We are open 8 to 20 on weekdays.",
           "variants": [{"language": "ru", "text": "Мы работаем по будням с 8 до 20."},
                        {"channel": "voice", "language": "en", "audio": "hours_en"},
                        {"channel": "sms", "text": "Acme Bank: Mon-Fri 8-20."},
                        {"channel": "chat", "text": "Mon–Fri, 8:00–20:00.",
                         "quick_replies": ["Balance", "Agent"]},
                        {"channel": "email", "subject": "Our opening hours", "text": "...",
                         "html": "<p>...</p>"}]}}}


def with_response(**response) -> dict:
    return {**SET, "responses": {"r": response}}


def test_the_design_example_is_a_sound_set():
    assert validate_responses(SET) == []


@pytest.mark.parametrize("doc, pointer, message", [
    (with_response(subject="Hi"), "/responses/r", "needs at least one of 'text' or 'audio'"),
    (with_response(text="x", variants=[{"language": "ru", "subject": "Тема"}]),
     "/responses/r/variants/0", "needs at least one of 'text' or 'audio'"),
    (with_response(text="x", variants=[{"text": "y"}]),
     "/responses/r/variants/0", "needs at least one of 'channel' or 'language'"),
    (with_response(text="x", variants=[{"channel": "fax", "text": "y"}]),
     "/responses/r/variants/0/channel", None),
    (with_response(text="x", voice="y"), "/responses/r/voice", None),
    (with_response(text="Hello {{ vars.name"), "/responses/r/text", None),
    (with_response(text="x", variants=[{"channel": "email", "text": "y", "subject": "{% if %}"}]),
     "/responses/r/variants/0/subject", None),
])
def test_a_set_breaking_its_schema_or_template_syntax_is_an_error_at_the_pointer(doc, pointer,
                                                                                  message):
    problems = validate_responses(doc)
    assert pointer in [p.pointer for p in problems if p.is_error], problems
    if message is not None:
        assert message in [p.message for p in problems]


def say_flow(response: str) -> dict:
    return {"schema": "callwright/flow@1", "id": "main", "start": "hi",
            "blocks": {"hi": {"type": "say", "config": {"response": response}}}}


def check(response: str) -> list[tuple[str, str]]:
    problems = validate_flow(say_flow(response), default_registry(), responses={"bank": SET})
    return [(p.pointer, p.message) for p in problems]


def test_a_flow_naming_a_response_of_a_set_is_sound():
    assert check("bank/opening_hours") == []


def test_a_flow_naming_a_missing_set_or_name_is_an_error_at_the_config():
    assert check("shop/opening_hours") == [(
        "/blocks/hi/config/response", "response 'shop/opening_hours' names the set 'shop', which "
                                      "is not a responses set of the workspace (sets: bank)")]
    assert check("bank/opening_hour") == [(
        "/blocks/hi/config/response", "responses set 'bank' has no response 'opening_hour' (did "
                                      "you mean 'bank/opening_hours'?)")]


def test_without_the_workspace_sets_references_are_not_checked():
    assert validate_flow(say_flow("shop/x"), default_registry()) == []


def test_send_and_end_name_responses_too():
    doc = {"schema": "callwright/flow@1", "id": "main", "start": "tell",
           "blocks": {"tell": {"type": "send", "config": {"channel": "sms", "to": "+4930",
                                                          "response": "bank/nope"},
                               "exits": {"next": "bye"}},
                      "bye": {"type": "end", "config": {"response": "gone/bye"}}}}
    problems = validate_flow(doc, default_registry(), responses={"bank": SET})
    assert [p.pointer for p in problems] == ["/blocks/bye/config/response",
                                             "/blocks/tell/config/response"]


def write(path: Path, doc) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    return path


def test_a_workspace_checks_its_sets_and_the_flows_naming_them(tmp_path: Path):
    write(tmp_path / "flows" / "main.json", say_flow("bank/opening_hours"))
    write(tmp_path / "responses" / "bank.json", SET)
    assert validate_workspace(tmp_path) == []
    write(tmp_path / "flows" / "main.json", say_flow("bank/closing_hours"))
    [problem] = validate_workspace(tmp_path)
    assert (Path(problem.file).name, problem.pointer) == ("main.json", "/blocks/hi/config/response")


def test_a_broken_set_is_reported_once_and_names_in_it_are_not_checked(tmp_path: Path):
    write(tmp_path / "flows" / "main.json", say_flow("bank/anything"))
    write(tmp_path / "responses" / "bank.json", with_response(subject="no text"))
    [problem] = validate_workspace(tmp_path)
    assert (Path(problem.file).parent.name, problem.pointer) == ("responses", "/responses/r")
    assert problem.line is not None


def test_validate_file_checks_a_set_and_its_id(tmp_path: Path):
    path = write(tmp_path / "responses" / "shop.json", SET)
    assert [(p.pointer, p.message) for p in validate_file(path)] == [
        ("/id", "responses set id 'bank' does not match its file name 'shop.json'")]


def test_an_sms_variant_longer_than_a_gateway_takes_is_a_warning_at_its_text():
    long_ru = "Ваша карта заблокирована. " * 30  # UCS-2: 780 characters, 12 parts of 67
    doc = with_response(text="x", variants=[{"channel": "sms", "text": long_ru},
                                            {"channel": "sms", "language": "en", "text": "ok"},
                                            {"channel": "chat", "text": long_ru},
                                            {"channel": "sms", "language": "de",
                                             "text": "{{ vars.terms }}" + "x" * 2000}])
    problems = validate_responses(doc)
    assert [(p.pointer, p.is_error) for p in problems] == [("/responses/r/variants/0/text", False)]
    assert problems[0].message.startswith("takes 12 SMS segments (780 characters in UCS2)")
