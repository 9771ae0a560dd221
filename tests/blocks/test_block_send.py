"""The `send` block: queues one message for background delivery and goes on at once."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from blocks import default_registry
from blocks.builtin.send import SendBlock
from blocks.sdk import BlockError
from blocks.sdk.testing import run_block

VALIDATOR = Draft7Validator(SendBlock.manifest["config_schema"])


def test_send_queues_the_rendered_message_and_takes_next():
    result = run_block(SendBlock, {"channel": "sms", "to": "{{ contact.phone }}",
                                   "text": "Your code is {{ vars.code }}."},
                       vars={"code": 4711}, contact={"phone": "+4915112345678"},
                       block_id="notify")
    assert result.exit == "next"
    assert result.enqueued == [{"task": "send", "key": "test.1.1.notify", "payload": {
        "channel": "sms", "to": "+4915112345678", "text": "Your code is 4711."}}]
    assert result.events == [{"event": "send", "block": "notify", "channel": "sms",
                              "to": "+4915112345678", "id": "test.1.1.notify",
                              "text": "Your code is 4711."}]


def test_an_email_carries_its_subject():
    result = run_block(SendBlock, {"channel": "email", "to": "ada@example.com",
                                   "subject": "Case {{ vars.case }}", "text": "We are on it."},
                       vars={"case": 17})
    assert result.enqueued[0]["payload"] == {"channel": "email", "to": "ada@example.com",
                                             "subject": "Case 17", "text": "We are on it."}


def test_replying_on_the_sessions_own_channel_sends_from_the_address_the_contact_talks_to():
    result = run_block(SendBlock, {"channel": "sms", "to": "+4915112345678", "text": "Hi"},
                       channel="sms", contact={"from": "+4915112345678", "to": "+4930999000"},
                       trigger={"channel": "sms", "from": "+4915112345678", "to": "+4930999000"})
    assert result.enqueued[0]["payload"]["from"] == "+4930999000"
    other = run_block(SendBlock, {"channel": "sms", "to": "+4915112345678", "text": "Hi"},
                      channel="chat", contact={"to": "support-bot"})
    assert "from" not in other.enqueued[0]["payload"]


def test_in_an_outbound_conversation_the_reply_comes_from_our_address_not_the_contacts():
    # we opened this conversation: the trigger goes from us to the contact, `contact.to` is ours
    result = run_block(SendBlock, {"channel": "sms", "to": "+4915112345678", "text": "Hi"},
                       channel="sms", contact={"from": "+4915112345678", "to": "+4930999000"},
                       trigger={"channel": "sms", "from": "+4930999000", "to": "+4915112345678",
                                "direction": "outbound"})
    assert result.enqueued[0]["payload"]["from"] == "+4930999000"


HOURS = {"text": "Мы работаем с 8 до 20, {{ vars.name }}.", "audio": "hours_ru",
         "quick_replies": ["Баланс", "Оператор"]}


def test_a_named_response_goes_as_its_chosen_content_with_the_data_to_render_it():
    result = run_block(SendBlock, {"channel": "chat", "to": "c-1", "response": "bank/hours"},
                       vars={"name": "Anna"}, contact={"language": "ru"},
                       trigger={"channel": "chat", "text": "когда"},
                       responses={"bank/hours": HOURS})
    # the texts stay templates (the worker renders them); a recording is for voice alone
    assert result.enqueued[0]["payload"] == {
        "channel": "chat", "to": "c-1", "response": "bank/hours",
        "content": {"text": "Мы работаем с 8 до 20, {{ vars.name }}.",
                    "quick_replies": ["Баланс", "Оператор"]},
        "scope": {"vars": {"name": "Anna"}, "contact": {"language": "ru"},
                  "trigger": {"channel": "chat", "text": "когда"}, "language": "ru"}}
    assert result.events[0]["response"] == "bank/hours"


def test_an_email_response_carries_its_subject_and_html_beside_the_blocks_own_subject():
    result = run_block(SendBlock, {"channel": "email", "to": "ada@example.com",
                                   "response": "bank/case", "subject": "Case {{ vars.case }}"},
                       vars={"case": 17}, responses={"bank/case": {
                           "subject": "Your case", "text": "Case {{ vars.case }}",
                           "html": "<p>Case {{ vars.case }}</p>"}})
    payload = result.enqueued[0]["payload"]
    assert payload["subject"] == "Case 17"
    assert payload["content"] == {"text": "Case {{ vars.case }}", "subject": "Your case",
                                  "html": "<p>Case {{ vars.case }}</p>"}


def test_an_unknown_response_takes_the_error_exit_naming_it_and_queues_nothing():
    result = run_block(SendBlock, {"channel": "sms", "to": "+1", "response": "bank/nope"},
                       responses={"bank/hours": HOURS})
    assert result.exit == "error"
    assert "bank/nope" in result.error
    assert result.enqueued == [] and result.events == []


def test_a_response_with_no_text_for_the_channel_takes_the_error_exit():
    result = run_block(SendBlock, {"channel": "sms", "to": "+1", "response": "bank/jingle"},
                       contact={"language": "de"}, responses={"bank/jingle": {"audio": "j"}})
    assert result.exit == "error"
    assert result.error == "send: response 'bank/jingle' has no text for sms (de)"
    assert result.enqueued == []


def test_a_host_that_resolves_no_responses_cannot_send_one():
    result = run_block(SendBlock, {"channel": "sms", "to": "+1", "response": "bank/hours"})
    assert result.exit == "error"
    assert "'bank/hours' cannot be chosen" in result.error
    assert result.enqueued == []


def test_a_recipient_that_renders_to_nothing_takes_the_error_exit():
    result = run_block(SendBlock, {"channel": "sms", "to": "{{ vars.missing }}", "text": "Hi"})
    assert result.exit == "error"
    assert "`to` is empty" in result.error
    assert result.enqueued == [] and result.events == []


def test_a_queue_that_refuses_the_message_takes_the_error_exit_and_emits_nothing():
    def refuse(task: str, payload: dict) -> None:
        raise BlockError("the task queue at redis://127.0.0.1:6379/0 is unavailable")

    result = run_block(SendBlock, {"channel": "sms", "to": "+1", "text": "Hi"}, enqueue=refuse)
    assert result.exit == "error"
    assert "unavailable" in result.error
    assert result.events == []


def test_send_exits_are_next_and_error():
    assert SendBlock.exits_for({"channel": "sms", "to": "+1", "text": "x"}) == ["next", "error"]


def test_send_is_registered_as_a_builtin():
    assert default_registry().resolve("send").cls is SendBlock


@pytest.mark.parametrize("config", [
    {"channel": "sms", "to": "+1", "text": "hi"},
    {"channel": "email", "to": "a@b.c", "subject": "s", "text": "hi"},
    {"channel": "webhook", "to": "visitor-1", "response": "bank/hours"},
])
def test_the_schema_accepts_a_channel_a_recipient_and_one_content(config):
    assert list(VALIDATOR.iter_errors(config)) == []


@pytest.mark.parametrize("config", [
    {"channel": "fax", "to": "+1", "text": "hi"},
    {"channel": "sms", "text": "hi"},
    {"channel": "sms", "to": "+1"},
    {"channel": "sms", "to": "+1", "text": "hi", "response": "bank/hours"},
    {"channel": "sms", "to": "+1", "text": "hi", "priority": 1},
    {"channel": "sms", "to": "+1", "response": "hours"},
])
def test_the_schema_refuses_what_cannot_be_sent(config):
    assert list(VALIDATOR.iter_errors(config)) != []


def test_a_subject_on_a_channel_without_one_is_reported():
    assert SendBlock.check({"channel": "sms", "to": "+1", "text": "x", "subject": "s"}) == \
        [("/subject", "only e-mail has a subject, not sms")]
    assert SendBlock.check({"channel": "email", "to": "a@b.c", "text": "x", "subject": "s"}) == []
