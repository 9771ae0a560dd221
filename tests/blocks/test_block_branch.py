"""The `branch` block: first matching rule wins, `default` otherwise, errors go to `error`."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.branch import BranchBlock
from blocks.registry import BlockType, Registry
from blocks.sdk.testing import run_block

RULES = {"rules": [
    {"when": {"var": "vars.balance", "op": ">=", "value": 1000}, "exit": "premium"},
    {"when": {"var": "vars.balance", "op": ">", "value": 0}, "exit": "standard"},
    {"when": {"var": "trigger.text", "op": "matches", "value": "(?i)\\bagent\\b"}, "exit": "agent"},
]}


@pytest.mark.parametrize("balance, text, exit_name", [
    ("1500", "hi", "premium"),     # a numeric text from chat compares as a number
    (1000, "agent please", "premium"),  # first match wins over a later one
    (20, "hi", "standard"),
    (0, "Agent please", "agent"),
    (-5, "hello", "default"),
])
def test_the_first_rule_that_holds_names_the_exit(balance: object, text: str,
                                                   exit_name: str) -> None:
    result = run_block(BranchBlock, RULES, vars={"balance": balance}, trigger={"text": text})
    assert (result.exit, result.error) == (exit_name, None)


def test_no_rules_take_default() -> None:
    assert run_block(BranchBlock, {"rules": []}).exit == "default"


def test_rules_may_share_an_exit() -> None:
    config = {"rules": [{"when": {"var": "vars.a", "op": "==", "value": 1}, "exit": "yes"},
                        {"when": {"var": "vars.a", "op": "==", "value": 2}, "exit": "yes"}]}
    assert run_block(BranchBlock, config, vars={"a": 2}).exit == "yes"
    assert BranchBlock.exits_for(config) == ["default", "yes", "error"]


def test_exits_are_default_each_rule_exit_and_error() -> None:
    assert BranchBlock.exits_for(RULES) == ["default", "premium", "standard", "agent", "error"]


def test_templated_values_are_evaluated_each_run() -> None:
    config = {"rules": [{"when": {"var": "vars.spent", "op": ">", "value": "{{ vars.limit }}"},
                         "exit": "over"}]}
    assert run_block(BranchBlock, config, vars={"spent": "120", "limit": 100}).exit == "over"
    assert run_block(BranchBlock, config, vars={"spent": "80", "limit": 100}).exit == "default"


def test_a_condition_that_cannot_be_decided_takes_the_error_exit() -> None:
    result = run_block(BranchBlock, RULES, vars={"balance": "lots"})
    assert result.exit == "error"
    assert result.error.startswith("condition `vars.balance >= 1000` at /rules/0/when: "
                                   "cannot order text 'lots' and number 1000")


def test_rules_before_an_expr_still_decide() -> None:
    config = {"rules": [{"when": {"var": "vars.vip", "op": "==", "value": True}, "exit": "vip"},
                        {"when": {"expr": "True"}, "exit": "other"}]}
    assert run_block(BranchBlock, config, vars={"vip": True}).exit == "vip"


def test_empty_holds_for_a_missing_variable() -> None:
    config = {"rules": [{"when": {"var": "vars.account", "op": "empty"}, "exit": "ask_account"}]}
    assert run_block(BranchBlock, config).exit == "ask_account"
    assert run_block(BranchBlock, config, vars={"account": "1234"}).exit == "default"


def test_nested_groups_decide() -> None:
    config = {"rules": [{"exit": "callback", "when": {"all": [
        {"var": "contact.phone", "op": "not_empty"},
        {"not": {"any": [{"var": "vars.hour", "op": "<", "value": 8},
                         {"var": "vars.hour", "op": ">=", "value": 20}]}}]}}]}
    assert run_block(BranchBlock, config, vars={"hour": "9"},
                     contact={"phone": "+4930123"}).exit == "callback"
    assert run_block(BranchBlock, config, vars={"hour": "21"},
                     contact={"phone": "+4930123"}).exit == "default"
    assert run_block(BranchBlock, config, vars={"hour": "9"}).exit == "default"


def test_check_reports_bad_patterns_templates_and_the_reserved_exit() -> None:
    config = {"rules": [
        {"when": {"var": "vars.a", "op": "matches", "value": "[a-"}, "exit": "x"},
        {"when": {"all": [{"var": "vars.a", "op": "==", "value": "{{ vars.b | }}"}]}, "exit": "y"},
        {"when": {"var": "vars.a", "op": "empty"}, "exit": "error"},
    ]}
    problems = BranchBlock.check(config)
    assert [pointer for pointer, _ in problems] == ["/rules/0/when/value",
                                                    "/rules/1/when/all/0/value",
                                                    "/rules/2/exit"]
    assert "invalid regular expression" in problems[0][1]
    assert "reserved" in problems[2][1]


def test_check_accepts_sound_rules() -> None:
    assert BranchBlock.check(RULES) == []


@pytest.mark.parametrize("config", [
    {},
    {"rules": [{"when": {"var": "vars.a", "op": "empty"}}]},
    {"rules": [{"when": {"var": "vars.a", "op": "empty"}, "exit": "has space"}]},
    {"rules": [{"when": {"var": "vars.a", "op": "between", "value": [1, 2]}, "exit": "x"}]},
    {"rules": [{"when": {"all": [{"var": "vars.a", "op": ">"}]}, "exit": "x"}]},
    {"rules": [{"when": {"not": {"expr": 5}}, "exit": "x"}]},
    {"rules": [], "default": "x"},
])
def test_the_config_schema_refuses_bad_configs(config: dict) -> None:
    assert list(Draft7Validator(BranchBlock.manifest["config_schema"]).iter_errors(config)) != []


def test_the_config_schema_accepts_sound_rules() -> None:
    assert list(Draft7Validator(BranchBlock.manifest["config_schema"]).iter_errors(RULES)) == []


def test_the_registry_accepts_the_block() -> None:
    registry = Registry()
    assert isinstance(registry.register(BranchBlock), BlockType)
    assert registry.broken == []
    assert registry.resolve("branch").raw_fields == ("rules",)
