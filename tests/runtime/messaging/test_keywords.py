"""SMS keywords: STOP, START and HELP and their synonyms, alone in a message, in two languages."""

from __future__ import annotations

import pytest

from runtime.messaging.keywords import HELP, START, STOP, keyword_of, keyword_reply, keyword_word


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "STOPALL", "unsubscribe", "CANCEL",
                                  "end", "Quit.", "СТОП", "стоп", "Отписаться", "ОТПИСАТЬСЯ!",
                                  "ＳＴＯＰ"])
def test_stop_and_its_synonyms_opt_out(text):
    assert keyword_of(text) == STOP


@pytest.mark.parametrize("text", ["START", "start", "Unstop", "СТАРТ", "старт."])
def test_start_opts_back_in(text):
    assert keyword_of(text) == START


@pytest.mark.parametrize("text", ["HELP", "help?", "ПОМОЩЬ", "помощь"])
def test_help_asks_for_help(text):
    assert keyword_of(text) == HELP


@pytest.mark.parametrize("text", ["stop the card", "please stop", "STOP STOP", "", "yes", "info",
                                  "отмена", "1", "S T O P", "stop" * 20])
def test_anything_else_reaches_the_flow(text):
    assert keyword_of(text) is None


def test_the_answer_is_the_configured_text_else_the_default_in_the_keyword_language():
    assert keyword_reply({"sms": {"help_text": "Acme: call 0800 123"}}, HELP, "HELP") \
        == "Acme: call 0800 123"
    assert keyword_reply({"sms": {"stop_text": ""}}, STOP, "STOP") == ""  # no answer
    assert "START" in keyword_reply({}, STOP, "stop")
    assert "СТАРТ" in keyword_reply({}, STOP, "СТОП")
    assert "СТОП" in keyword_reply({}, HELP, "помощь")


def test_the_keyword_is_recorded_as_written_in_upper_case():
    assert keyword_word(" стоп! ") == "СТОП"
