"""Holding times: the distributions `--holding` names, how they draw, and what they refuse."""

from __future__ import annotations

import random
import statistics

import pytest

from runtime.ports.emulator import InvalidHolding, parse_holding


def test_an_exponential_holding_time_draws_around_its_mean_with_its_spread():
    holding = parse_holding("exp:180")
    rng = random.Random(7)
    draws = [holding.draw(rng) for _ in range(20_000)]
    assert holding.mean == 180 and str(holding) == "exp:180"
    assert statistics.fmean(draws) == pytest.approx(180, rel=0.03)  # 4 standard errors
    assert statistics.stdev(draws) == pytest.approx(180, rel=0.05)  # an exponential's sd = mean
    assert min(draws) >= 0


def test_a_fixed_holding_time_is_the_same_for_every_call_and_uniform_stays_in_its_range():
    rng = random.Random(1)
    assert {parse_holding("fixed:90").draw(rng) for _ in range(10)} == {90.0}
    uniform = parse_holding("uniform:30:90")
    assert uniform.mean == 60 and all(30 <= uniform.draw(rng) <= 90 for _ in range(1000))


def test_long_names_are_understood_too():
    assert str(parse_holding("exponential:60")) == "exp:60"
    assert str(parse_holding("deterministic:2.5")) == "fixed:2.5"


@pytest.mark.parametrize("text, says", [
    ("poisson:3", "use exp:MEAN, fixed:SECONDS or uniform:LOW:HIGH"),
    ("180", "is not a holding time"),
    ("exp:", "must be numbers"),
    ("exp:soon", "must be numbers"),
    ("exp:0", "mean above 0"),
    ("fixed:-1", "at least 0"),
    ("fixed:nan", "finite"),
    ("exp:1:2", "exp takes 1 number of seconds"),
    ("uniform:5", "uniform takes 2 numbers"),
    ("uniform:9:3", "LOW is above its HIGH")])
def test_a_holding_time_that_does_not_parse_says_what_was_given_and_what_is_meant(text, says):
    with pytest.raises(InvalidHolding, match=says) as caught:
        parse_holding(text)
    assert repr(text) in str(caught.value)
