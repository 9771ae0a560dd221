"""runtime.bots.evaluation: accuracy, per-intent precision and recall, confused pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.bots import compile_bot
from runtime.bots.evaluation import UtterancesError, evaluate, read_utterances


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_a_report_counts_right_answers_and_fallbacks(bank, tmp_path):
    lines = read_utterances(write(tmp_path / "u.csv", "text,intent\n"
                                  "what is my balance,balance\n"
                                  "I lost my card,card_block\n"
                                  "tell me about the weather,fallback\n"
                                  "when are you open,balance\n"))
    report = evaluate(compile_bot(bank), lines)
    assert report.accuracy == 0.75
    table = report.per_intent()
    assert table["balance"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert table["opening_hours"] == {"precision": 0.0, "recall": 0.0, "support": 0}
    assert report.confused() == [{"intent": "balance", "predicted": "opening_hours", "count": 1}]
    data = report.as_dict()
    assert data["accuracy"] == 0.75 and data["utterances"] == 4
    assert data["mistakes"][0]["line"] == 5


def test_a_higher_threshold_sends_more_to_fallback(bank, tmp_path):
    lines = read_utterances(write(tmp_path / "u.csv", "text,intent\nbalance pls,balance\n"))
    assert evaluate(compile_bot(bank), lines, 1.0).outcomes[0].predicted == "fallback"


@pytest.mark.parametrize("text, message", [
    ("words,label\nhi,x\n", "the first line must name the columns text,intent"),
    ("text,intent\nhi,\n", ":2: no intent"),
    ("", "the first line must name the columns"),
    ("text,intent\n", "no lines to test, only the header"),  # it would pass any gate
])
def test_a_bad_utterances_file_says_where(tmp_path, text, message):
    with pytest.raises(UtterancesError, match=message):
        read_utterances(write(tmp_path / "u.csv", text))


def test_a_label_the_bot_does_not_have_is_an_error_naming_its_line(bank, tmp_path):
    path = write(tmp_path / "u.csv", "text,intent\nwhat is my balance,balance\n"
                                     "tell me the weather,fallback\nhi,balanse\n")
    with pytest.raises(UtterancesError, match=r"u.csv:4: the bot has no intent 'balanse' "
                                              r"\(it has .*balance.*; `fallback` for"):
        read_utterances(path, compile_bot(bank).intents)
    assert len(read_utterances(path)) == 3  # without the bot's intents, labels are not checked


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes("text,intent\nбаланс,balance\n".encode("cp1251"))
    with pytest.raises(UtterancesError):
        read_utterances(path)
