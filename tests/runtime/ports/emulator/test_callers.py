"""Caller scripts for the emulator: the callers file, how scripts are picked, the automatic caller."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from runtime.ports.emulator import (CallerMix, CallerScript, InvalidCallers, load_callers,
                                    parse_callers)
from runtime.ports.emulator.callers import DEFAULT_CALLERS, ScriptedCaller


def test_a_callers_file_gives_one_script_per_entry(tmp_path):
    path = tmp_path / "callers.json"
    path.write_text(json.dumps([
        {"name": "balance", "from": "+4930555", "to": "bank",
         "actions": [{"digits": "1"}, {"digits": "12345678#", "gap_s": 0.2}]},
        {"name": "agent", "actions": [{"digits": "0", "during_s": 1}], "transfer": "busy",
         "then": "hangup", "hangup_after_s": 30}]))
    balance, agent = load_callers(path)
    assert balance.caller == "+4930555" and balance.called == "bank"
    assert balance.actions[1] == {"digits": "12345678#", "gap_s": 0.2}
    assert (agent.transfer, agent.then, agent.hangup_after_s) == ("busy", "hangup", 30)


def test_every_problem_of_a_callers_file_is_named_with_its_pointer():
    with pytest.raises(InvalidCallers) as caught:
        parse_callers([{"actions": [{"digit": "1"}]}, {"transfer": "maybe", "weight": 0}],
                      "callers.json")
    problems = caught.value.problems
    assert any(p.startswith("callers.json: /0/actions/0:") and "digit" in p for p in problems)
    assert any(p.startswith("callers.json: /1/transfer:") for p in problems)
    assert any(p.startswith("callers.json: /1/weight:") for p in problems)


def test_a_file_that_is_not_json_or_is_empty_is_refused(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    with pytest.raises(InvalidCallers, match="not JSON"):
        load_callers(broken)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(InvalidCallers):
        load_callers(empty)


def test_scripts_without_weights_take_turns():
    a, b = CallerScript(name="a"), CallerScript(name="b")
    mix = CallerMix((a, b))
    assert [mix.pick().name for _ in range(5)] == ["a", "b", "a", "b", "a"]


def test_scripts_with_weights_are_drawn_by_weight():
    mix = CallerMix((CallerScript(name="often", weight=9), CallerScript(name="rarely", weight=1)),
                    random.Random(7))
    drawn = Counter(mix.pick().name for _ in range(2000))
    assert 0.85 < drawn["often"] / 2000 < 0.95


def test_the_default_mix_answers_automatically_stays_silent_or_hangs_up():
    assert {s.name for s in DEFAULT_CALLERS} == {"auto", "silent", "hangs-up"}
    assert sum(s.weight for s in DEFAULT_CALLERS if s.then == "auto") / \
        sum(s.weight for s in DEFAULT_CALLERS) == 0.9


def test_the_automatic_caller_picks_a_menu_key_or_types_a_full_answer_and_the_terminator():
    caller = ScriptedCaller(CallerScript(then="auto"), random.Random(1))
    assert caller._auto_keys({"kind": "choice", "keys": ["1", "2", "0"]}) in {"1", "2", "0"}
    typed = caller._auto_keys({"kind": "digits", "max_length": 8, "terminator": "#"})
    assert len(typed) == 9 and typed[:8].isdigit() and typed.endswith("#")
    assert len(caller._auto_keys({"kind": "digits", "terminator": ""})) == 4


def test_a_script_may_give_its_callers_holding_time_and_a_bad_one_is_named_with_its_pointer():
    waits, = parse_callers([{"name": "waits", "holding": "exp:180"}], "callers.json")
    assert str(waits.holding) == "exp:180" and waits.holding.mean == 180
    with pytest.raises(InvalidCallers) as caught:
        parse_callers([{"holding": "exp:180"}, {"holding": "poisson:3", "transfer": "maybe"}],
                      "callers.json")
    first, second = caught.value.problems
    assert first.startswith("callers.json: /1/holding:") and "exp:MEAN" in first
    assert second.startswith("callers.json: /1/transfer:")


def test_a_caller_with_a_holding_time_hangs_up_when_it_runs_out_or_sooner_if_scripted():
    class Line:
        def __init__(self) -> None:
            self.armed: list[float] = []

        def later(self, seconds, callback, *args) -> None:
            self.armed.append(seconds)

        def _press(self, key) -> None: ...

        def _gone(self, by="caller") -> None: ...

    fixed, = parse_callers([{"holding": "fixed:60"}], "callers.json")
    for script, default, armed in [(fixed, None, [60]), (CallerScript(), fixed.holding, [60]),
                                   (CallerScript(hangup_after_s=10), fixed.holding, [10]),
                                   (CallerScript(), None, [])]:
        line = Line()
        ScriptedCaller(script, random.Random(1), default).started(line)
        assert line.armed == armed
