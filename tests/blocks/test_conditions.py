"""Conditions: every operator, numeric texts, groups, errors that name the condition, checks."""

from __future__ import annotations

import asyncio

from typing import Any

import pytest
from jsonschema import Draft7Validator

from blocks.builtin import conditions
from blocks.builtin.conditions import (OPERATORS, compile_async_condition, compile_condition, uses_expr,
                                       condition_problems)
from blocks.builtin.branch import BranchBlock
from blocks.sdk import BlockError, Context, Host


class QuietHost(Host):
    """A host with nothing to say: conditions only read data and evaluate templates."""

    def emit(self, event: dict) -> None:
        """Drop the event."""


def holds(condition: Any, vars: dict | None = None, **data: dict) -> bool:
    """Compile a condition and evaluate it against a session holding `vars` and `data`."""
    ctx = Context(QuietHost(), vars=vars or {}, contact=data.get("contact", {}),
                  trigger=data.get("trigger", {}))
    return compile_condition(condition, "/when")(ctx)


def cmp(op: str, left: Any, right: Any = None) -> bool:
    """Evaluate `vars.x op right` with vars.x = left."""
    return holds({"var": "vars.x", "op": op, "value": right}, {"x": left})


@pytest.mark.parametrize("op, left, right, expected", [
    ("==", "abc", "abc", True), ("==", "abc", "ABC", False), ("==", 5, 5.0, True),
    ("==", "150", 150, True), ("==", 150, "150.0", True), ("==", "007", "7", False),
    ("==", True, 1, False), ("==", None, "", False), ("==", [1, 2], [1, 2], True),
    ("!=", "a", "b", True), ("!=", "42", 42, False),
    (">", "150", 100, True), (">", 99.5, "100", False), (">", "10", "9", True),
    (">", "b", "a", True), (">=", 100, "100", True), (">=", "2026-01-05", "2026-02-01", False),
    ("<", "9", "10", True), ("<", -1, " 0 ", True), ("<", "1e3", 999, False),
    ("<=", 3, 3, True), ("<=", "apple", "banana", True),
])
def test_comparisons_treat_numeric_texts_as_numbers(op: str, left: Any, right: Any,
                                                     expected: bool) -> None:
    assert cmp(op, left, right) is expected


@pytest.mark.parametrize("op, left, right, expected", [
    ("in", "gold", ["silver", "gold"], True), ("in", "2", [1, 2, 3], True),
    ("in", 4, [1, 2, 3], False), ("in", "ell", "hello", True), ("in", 12, "a12b", True),
    ("in", None, ["a"], False), ("in", "x", {"x": 1}, True), ("in", "a", None, False),
    ("not_in", "bronze", ["silver", "gold"], True), ("not_in", "1", [1], False),
    ("not_in", "z", "hello", True),
    ("contains", "Hello world", "world", True), ("contains", "Hello world", "WORLD", False),
    ("contains", ["a", "b"], "b", True), ("contains", [1, 2], "2", True),
    ("contains", {"k": 1}, "k", True), ("contains", None, "a", False),
    ("contains", "order 42", 42, True),
])
def test_membership_operators(op: str, left: Any, right: Any, expected: bool) -> None:
    assert cmp(op, left, right) is expected


@pytest.mark.parametrize("left, pattern, expected", [
    ("order 12345", r"\d{5}", True), ("order 123", r"\d{5}", False),
    ("ABC", "^abc$", False), ("ABC", "(?i)^abc$", True), (2026, r"^20\d\d$", True),
    (None, ".*", False),
])
def test_matches_searches_the_value_as_text(left: Any, pattern: str, expected: bool) -> None:
    assert cmp("matches", left, pattern) is expected


def test_matches_compiles_the_pattern_once_not_per_evaluation(monkeypatch) -> None:
    ctx = Context(QuietHost(), vars={"x": "a1"}, contact={}, trigger={})
    test = compile_condition({"var": "vars.x", "op": "matches", "value": r"\d"}, "/when")

    def refuse(*args: Any, **kwargs: Any) -> None:
        """Fail the test: nothing may be compiled."""
        raise AssertionError("re.compile called while evaluating")
    monkeypatch.setattr(conditions.re, "compile", refuse)
    assert [test(ctx) for _ in range(3)] == [True, True, True]


def test_a_templated_pattern_is_evaluated_per_run() -> None:
    condition = {"var": "vars.x", "op": "matches", "value": "^{{ vars.prefix }}"}
    assert holds(condition, {"x": "AB-1", "prefix": "AB"})
    assert not holds(condition, {"x": "AB-1", "prefix": "CD"})


def test_an_invalid_regex_fails_when_evaluated_and_names_its_place() -> None:
    with pytest.raises(BlockError, match=r"/when: invalid regular expression"):
        cmp("matches", "x", "(unclosed")


@pytest.mark.parametrize("value, expected", [
    (None, True), ("", True), ([], True), ({}, True),
    (0, False), (False, False), (" ", False), ([0], False), ({"a": None}, False),
])
def test_empty_and_not_empty(value: Any, expected: bool) -> None:
    assert cmp("empty", value) is expected
    assert cmp("not_empty", value) is (not expected)


def test_a_missing_variable_is_empty_and_equal_to_nothing() -> None:
    assert holds({"var": "vars.nothing.here", "op": "empty"})
    assert not holds({"var": "vars.nothing", "op": "not_empty"})
    assert not holds({"var": "vars.nothing", "op": "==", "value": ""})
    assert holds({"var": "vars.nothing", "op": "!=", "value": 0})


def test_a_templated_value_keeps_its_native_type() -> None:
    condition = {"var": "vars.balance", "op": ">", "value": "{{ vars.limit * 2 }}"}
    assert holds(condition, {"balance": "250", "limit": 100})
    assert not holds(condition, {"balance": "150", "limit": 100})


def test_conditions_read_contact_and_trigger() -> None:
    assert holds({"var": "trigger.text", "op": "contains", "value": "agent"},
                 trigger={"text": "I want an agent"})
    assert holds({"var": "contact.language", "op": "in", "value": ["ru", "uk"]},
                 contact={"language": "ru"})


@pytest.mark.parametrize("left, right", [("abc", 100), (None, 100), ([1], 2), (True, False),
                                          ({"a": 1}, "a")])
def test_ordering_unrelated_kinds_raises_naming_the_condition(left: Any, right: Any) -> None:
    with pytest.raises(BlockError, match=r"condition `vars\.x > .*` at /when: cannot order"):
        cmp(">", left, right)


def test_membership_in_something_that_holds_nothing_raises() -> None:
    with pytest.raises(BlockError, match="needs a list or a text"):
        cmp("in", "a", 5)
    with pytest.raises(BlockError, match="cannot look inside number 5"):
        cmp("contains", 5, "a")


def test_all_any_and_not_nest() -> None:
    condition = {"all": [
        {"var": "vars.balance", "op": ">=", "value": 100},
        {"any": [{"var": "vars.tier", "op": "==", "value": "gold"},
                 {"not": {"var": "vars.flags", "op": "contains", "value": "new"}}]},
    ]}
    assert holds(condition, {"balance": "100", "tier": "gold", "flags": ["new"]})
    assert holds(condition, {"balance": 500, "tier": "basic", "flags": []})
    assert not holds(condition, {"balance": 500, "tier": "basic", "flags": ["new"]})
    assert not holds(condition, {"balance": 99, "tier": "gold", "flags": []})


def test_groups_short_circuit() -> None:
    failing = {"var": "vars.s", "op": ">", "value": 1}  # "text" > 1 would raise
    assert not holds({"all": [{"var": "vars.s", "op": "empty"}, failing]}, {"s": "text"})
    assert holds({"any": [{"var": "vars.s", "op": "not_empty"}, failing]}, {"s": "text"})
    with pytest.raises(BlockError):
        holds({"all": [{"var": "vars.s", "op": "not_empty"}, failing]}, {"s": "text"})


def test_errors_inside_groups_point_at_the_inner_condition() -> None:
    condition = {"any": [{"var": "vars.a", "op": "empty"},
                         {"not": {"var": "vars.a", "op": "<", "value": 3}}]}
    with pytest.raises(BlockError, match=r"at /when/any/1/not:"):
        holds(condition, {"a": [1]})


def test_only_conditions_holding_an_expr_must_be_awaited() -> None:
    assert uses_expr({"expr": "vars['balance'] > 100"})
    assert uses_expr({"all": [{"var": "vars.a", "op": "empty"}, {"not": {"expr": "True"}}]})
    assert not uses_expr({"any": [{"var": "vars.a", "op": "empty"}, {"not": {"var": "vars.b", "op": "empty"}}]})


def test_an_expr_condition_is_decided_by_the_hosts_sandbox_and_its_errors_name_the_place() -> None:
    class EvaluatingHost(QuietHost):
        async def evaluate(self, expression: str, scope: dict):
            if expression == "boom":
                raise BlockError("script stopped by the CPU time limit (1000 ms)")
            return scope["vars"]["balance"] > 100
    test = compile_async_condition({"all": [{"var": "vars.balance", "op": "not_empty"},
                                            {"expr": "vars['balance'] > 100"}]}, "/when")
    rich = Context(EvaluatingHost(), vars={"balance": 500}, contact={}, trigger={})
    poor = Context(EvaluatingHost(), vars={"balance": 5}, contact={}, trigger={})
    assert asyncio.run(test(rich)) is True and asyncio.run(test(poor)) is False
    failing = compile_async_condition({"not": {"expr": "boom"}}, "/rules/0/when")
    with pytest.raises(BlockError, match=r"at /rules/0/when/not/expr: script stopped by the CPU"):
        asyncio.run(failing(rich))


@pytest.mark.parametrize("condition", [None, {}, {"var": "vars.x", "op": "~"},
                                        {"all": "nope"}, {"op": "=="}])
def test_a_malformed_condition_compiles_but_fails_when_evaluated(condition: Any) -> None:
    test = compile_condition(condition, "/when")
    ctx = Context(QuietHost(), vars={}, contact={}, trigger={})
    with pytest.raises(BlockError, match="/when"):
        test(ctx)


@pytest.mark.parametrize("condition, pointer, message", [
    ({"var": "vars.x", "op": "matches", "value": "(a"}, "/w/value", "invalid regular expression"),
    ({"var": "vars.x", "op": "matches", "value": 5}, "/w/value", "needs a regular expression"),
    ({"var": "vars.x", "op": "==", "value": "{{ vars.y + }}"}, "/w/value",
     "template syntax error on line 1"),
    ({"var": "vars.x", "op": "in", "value": 5}, "/w/value", "needs a list or a text"),
    ({"var": "vars.x", "op": ">", "value": [1]}, "/w/value", "needs a number or a text"),
    ({"var": "vars.x", "op": "=="}, "/w/value", "needs a `value`"),
    ({"var": "vars.x", "op": "like", "value": 1}, "/w/op", "unknown operator 'like'"),
    ({"op": "==", "value": 1}, "/w/var", "needs `var`"),
    ({"all": []}, "/w/all", "non-empty list"),
    ({"expr": " "}, "/w/expr", "needs an expression"),
    ({"any": [{"var": "vars.a", "op": "empty"}, {"not": {"var": "vars.b", "op": "matches",
                                                          "value": "["}}]},
     "/w/any/1/not/value", "invalid regular expression"),
])
def test_condition_problems_point_at_the_fault(condition: Any, pointer: str, message: str) -> None:
    problems = condition_problems(condition, "/w")
    assert len(problems) == 1
    assert problems[0][0] == pointer
    assert message in problems[0][1]


def test_sound_conditions_have_no_problems() -> None:
    condition = {"all": [{"var": "vars.x", "op": "matches", "value": r"^\d+$"},
                         {"var": "vars.x", "op": "<", "value": "{{ vars.limit }}"},
                         {"var": "vars.x", "op": "empty"},
                         {"expr": "vars['x'] > 1"}]}
    assert condition_problems(condition, "/w") == []


def _condition_validator() -> Draft7Validator:
    """Return a validator of one condition, using the schema shipped in branch.json."""
    schema = BranchBlock.manifest["config_schema"]
    return Draft7Validator({"$schema": schema["$schema"], "definitions": schema["definitions"],
                            "$ref": "#/definitions/condition"})


def test_the_schema_lists_exactly_the_operators_the_evaluator_knows() -> None:
    comparison = BranchBlock.manifest["config_schema"]["definitions"]["comparison"]
    assert tuple(comparison["properties"]["op"]["enum"]) == OPERATORS


@pytest.mark.parametrize("condition", [
    {"var": "vars.balance", "op": ">", "value": 100},
    {"var": "trigger.text", "op": "matches", "value": "(?i)agent"},
    {"var": "contact.email", "op": "not_empty"},
    {"var": "vars.tier", "op": "in", "value": ["gold", "silver"]},
    {"all": [{"any": [{"not": {"var": "vars.a", "op": "empty"}}, {"expr": "True"}]}]},
])
def test_the_schema_accepts_valid_conditions(condition: dict) -> None:
    assert list(_condition_validator().iter_errors(condition)) == []


@pytest.mark.parametrize("condition", [
    {"var": "vars.a", "op": "like", "value": 1},
    {"var": "vars.a", "op": "=="},
    {"var": "account", "op": "empty"},
    {"var": "vars.a", "op": "empty", "extra": 1},
    {"var": "vars.a", "op": "matches", "value": 5},
    {"var": "vars.a", "op": "in", "value": 5},
    {"var": "vars.a", "op": ">", "value": {"n": 1}},
    {"all": []},
    {"any": [{"var": "vars.a", "op": "nope"}]},
    {"not": {"all": [{"expr": ""}]}},
    {"expr": "x", "var": "vars.a"},
    "vars.a > 1",
])
def test_the_schema_refuses_bad_conditions(condition: Any) -> None:
    assert list(_condition_validator().iter_errors(condition)) != []


def test_numeric_texts_do_not_include_python_spellings() -> None:
    # float() accepts these, but a caller typing them did not type a number
    for text in ("1_000", "nan", "inf", "Infinity", "0x10", "1" * 200):
        assert conditions._number(text) is None, text
    assert conditions._number(" -12 ") == -12
    assert conditions._number("3.5e2") == 350.0
