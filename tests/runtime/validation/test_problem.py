"""runtime.validation.problem: how a problem reads, serialises and sorts."""

import json

from runtime.validation.problem import Problem, block_of, error, has_errors, join, ordered, warning


def test_a_problem_from_a_file_reads_file_line_severity_pointer_message_and_block():
    problem = Problem("error", "/blocks/main_menu/config/timeout_s",
                      "0 is less than the minimum of 1", block="main_menu",
                      file="flows/x.json", line=12)
    assert str(problem) == ("flows/x.json:12: error: /blocks/main_menu/config/timeout_s: "
                            "0 is less than the minimum of 1 [block main_menu]")


def test_a_problem_with_a_column_names_it_after_the_line():
    problem = Problem("error", "", "Expecting ',' delimiter at line 3 column 5",
                      file="flows/x.json", line=3, column=5)
    assert str(problem) == "flows/x.json:3:5: error: Expecting ',' delimiter at line 3 column 5"


def test_a_problem_without_file_or_pointer_is_just_severity_and_message():
    assert str(Problem("warning", "", "odd")) == "warning: odd"
    assert str(Problem("error", "/start", "gone", file="f.json")) == "f.json: error: /start: gone"


def test_as_dict_has_every_field_and_is_json():
    problem = error("/blocks/a/exits/next", "exit 'next' goes to 'b'")
    assert json.loads(json.dumps(problem.as_dict())) == {
        "severity": "error", "pointer": "/blocks/a/exits/next",
        "message": "exit 'next' goes to 'b'", "block": "a", "file": None, "line": None,
        "column": None, "field": "exits"}


def test_the_field_is_the_form_field_of_a_block_or_the_flow_s_own_key():
    fields = {pointer: error(pointer, "x").field for pointer in (
        "/blocks/menu/config/timeout_s", "/blocks/menu/config/options/0/label",
        "/blocks/menu/config", "/blocks/menu/exits/failed", "/blocks/menu/type",
        "/blocks/menu", "/blocks", "/start", "/settings/language", "")}
    assert fields == {
        "/blocks/menu/config/timeout_s": "timeout_s", "/blocks/menu/config/options/0/label":
        "options", "/blocks/menu/config": "config", "/blocks/menu/exits/failed": "exits",
        "/blocks/menu/type": "type", "/blocks/menu": None, "/blocks": "blocks",
        "/start": "start", "/settings/language": "settings", "": None}
    assert error("/blocks/a~1b/config/x~1y", "x").field == "x/y"


def test_problems_under_blocks_name_their_block_id():
    assert error("/blocks/a~1b/config", "x").block == "a/b"
    assert warning("/blocks/menu", "x").block == "menu"
    assert error("/start", "x").block is None
    assert block_of("/blocksmith/x") is None


def test_join_escapes_tokens():
    assert join("/blocks", "a/b", "c~d", 0) == "/blocks/a~1b/c~0d/0"
    assert join("", "voice", "+4930123456") == "/voice/+4930123456"


def test_ordered_sorts_by_pointer_then_message_and_drops_repeats():
    problems = [error("/start", "b"), warning("/blocks/z", "a"), error("/start", "a"),
                error("/start", "b"), error("", "whole")]
    assert [(p.pointer, p.message) for p in ordered(problems)] == [
        ("", "whole"), ("/blocks/z", "a"), ("/start", "a"), ("/start", "b")]


def test_has_errors_ignores_warnings():
    assert not has_errors([warning("/blocks/a", "unreachable")])
    assert has_errors([warning("/blocks/a", "x"), error("/start", "y")])
    assert error("/", "x").is_error and not warning("/", "x").is_error
