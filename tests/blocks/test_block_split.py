"""The `split` block: a random number picks a branch on the cumulative percentages."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from blocks.builtin.split import SplitBlock
from blocks.registry import BlockType, Registry
from blocks.sdk.testing import run_block

AB = {"branches": [{"exit": "a", "percent": 30}, {"exit": "b", "percent": 50},
                   {"exit": "c", "percent": 20}]}


@pytest.mark.parametrize("random_value, exit_name", [
    (0.0, "a"), (0.2999, "a"), (0.30, "b"), (0.7999, "b"), (0.80, "c"), (0.999999, "c"),
])
def test_the_random_value_picks_a_branch_by_cumulative_percentage(random_value: float,
                                                                  exit_name: str) -> None:
    assert run_block(SplitBlock, AB, random_values=[random_value]).exit == exit_name


def test_a_zero_percent_branch_is_never_taken() -> None:
    config = {"branches": [{"exit": "off", "percent": 0}, {"exit": "on", "percent": 100}]}
    assert run_block(SplitBlock, config, random_values=[0.0]).exit == "on"
    assert SplitBlock.exits_for(config) == ["off", "on", "error"]


def test_fractional_percentages() -> None:
    config = {"branches": [{"exit": "canary", "percent": 0.5}, {"exit": "stable", "percent": 99.5}]}
    assert run_block(SplitBlock, config, random_values=[0.004]).exit == "canary"
    assert run_block(SplitBlock, config, random_values=[0.005]).exit == "stable"


def test_every_branch_at_zero_takes_the_error_exit() -> None:
    result = run_block(SplitBlock, {"branches": [{"exit": "a", "percent": 0}]})
    assert result.exit == "error"
    assert "no branch with a percentage above 0" in result.error


def test_exits_are_the_branches_and_error() -> None:
    assert SplitBlock.exits_for(AB) == ["a", "b", "c", "error"]


@pytest.mark.parametrize("percents, total", [([50, 40], "90"), ([60, 60], "120"),
                                             ([33.3, 33.3, 33.3], "99.9"), ([0], "0")])
def test_check_reports_percentages_that_do_not_add_up(percents: list, total: str) -> None:
    config = {"branches": [{"exit": f"e{i}", "percent": p} for i, p in enumerate(percents)]}
    message = f"the percentages add up to {total}, not 100"
    assert SplitBlock.check(config) == [("/branches", message)]


def test_check_accepts_a_sum_of_100_despite_float_rounding() -> None:
    percents = [64.1, 0.1, 35.8]
    assert sum(percents) != 100  # 99.99999999999999 in binary floating point
    config = {"branches": [{"exit": f"e{i}", "percent": p} for i, p in enumerate(percents)]}
    assert SplitBlock.check(config) == []


def test_check_reports_the_reserved_exit() -> None:
    config = {"branches": [{"exit": "error", "percent": 50}, {"exit": "b", "percent": 50}]}
    assert [p for p, _ in SplitBlock.check(config)] == ["/branches/0/exit"]


@pytest.mark.parametrize("config", [
    {}, {"branches": []},
    {"branches": [{"exit": "a", "percent": 101}]},
    {"branches": [{"exit": "a", "percent": -1}, {"exit": "b", "percent": 101}]},
    {"branches": [{"exit": "a", "percent": "50"}, {"exit": "b", "percent": 50}]},
    {"branches": [{"exit": "a"}]},
    {"branches": [{"exit": "a b", "percent": 100}]},
    {"branches": [{"exit": "a", "percent": 100, "weight": 1}]},
])
def test_the_config_schema_refuses_bad_configs(config: dict) -> None:
    assert list(Draft7Validator(SplitBlock.manifest["config_schema"]).iter_errors(config)) != []


def test_the_config_schema_accepts_a_sound_split() -> None:
    assert list(Draft7Validator(SplitBlock.manifest["config_schema"]).iter_errors(AB)) == []


def test_the_registry_accepts_the_block() -> None:
    registry = Registry()
    assert isinstance(registry.register(SplitBlock), BlockType)
    assert registry.broken == []
