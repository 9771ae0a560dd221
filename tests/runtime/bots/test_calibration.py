"""runtime.bots.calibration: raw scores to confidences that mean the same for every bot."""

import json
from pathlib import Path

from runtime.bots import compile_bot, confidence
from runtime.bots.evaluation import read_utterances

BOTS = Path(__file__).resolve().parents[3] / "examples" / "workspace" / "bots"


def test_the_curve_rises_from_0_to_1():
    values = [confidence(x / 100) for x in range(101)]
    assert values == sorted(values)
    assert (values[0], values[-1]) == (0.0, 1.0)


def test_a_close_runner_up_lowers_the_confidence():
    assert confidence(0.6, 0.59) < confidence(0.6, 0.45) == confidence(0.6, 0.0)


def test_out_of_range_scores_are_clamped():
    assert confidence(-1) == 0.0 and confidence(7) == 1.0


def test_on_the_example_bots_lines_a_confidence_is_about_the_share_answered_right():
    bot = compile_bot(json.loads((BOTS / "bank.json").read_text("utf-8")))
    lines = [u for path in sorted(BOTS.glob("bank.*.csv")) for u in read_utterances(path)]
    results = [(bot.classify(u.text), u.intent) for u in lines]
    sure = [r.intent == intent for r, intent in results if r.confidence >= 0.8]
    unsure = [r.intent == intent for r, intent in results if r.confidence < 0.3]
    assert sum(sure) / len(sure) >= 0.9
    assert sum(unsure) / len(unsure) <= 0.3
