"""The `send` task on SMS: numbers in E.164, segments counted, opted-out numbers skipped."""

from __future__ import annotations

import json

import pytest

from blocks.sdk import BlockError
from runtime.messaging.optouts import OptOuts

SECRET = "gateway-secret-for-tests"


def toml(gateway_url: str, *, immediate: bool = True, extra: str = "") -> str:
    """Return a callwright.toml with an SMS gateway on 127.0.0.1 and numbers read in Germany."""
    return f"""
[sms]
gateway = "{gateway_url}"
from = "+4930999000"
default_region = "DE"
{extra}
[webhooks]
secret = "{SECRET}"
url = "{gateway_url.rsplit('/', 1)[0]}/hook"
[tasks]
immediate = {str(immediate).lower()}
retries = 2
retry_delay_s = 0
[http]
allow = ["127.0.0.0/8"]
"""


def sms(to: str = "+4915112345678", text: str = "Your code is 4711.", **more) -> dict:
    """Return a send payload on SMS."""
    return {"channel": "sms", "to": to, "text": text, **more}


def sent(gateway) -> list[dict]:
    """Return the messages the gateway received, in order."""
    return [json.loads(request["body"]) for request in gateway.requests]


# --- numbers ---------------------------------------------------------------------------------

def test_a_number_written_nationally_is_sent_and_recorded_in_e164(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    queue.enqueue("send", sms(to="0151 1234-5678"), "n1")
    assert sent(gateway)[0]["to"] == "+4915112345678"
    assert queue.ledger.get("n1")["payload"]["to"] == "+4915112345678"


@pytest.mark.parametrize("to, says", [
    ("call me", "send: /to: 'call me' is not a phone number"),
    ("12345", "send: /to: '12345' is not a valid phone number in region DE"),
])
def test_a_number_that_cannot_be_read_is_refused_naming_the_field_and_nothing_is_recorded(
        task_queue, gateway, to, says):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match=says):
        queue.enqueue("send", sms(to=to), "n2")
    assert queue.ledger.get("n2") is None and gateway.requests == []


# --- texts and their segments ----------------------------------------------------------------

@pytest.mark.parametrize("text, encoding_segments", [
    ("a" * 160, 1), ("a" * 161, 2), ("€" * 80, 1), ("€" * 80 + "a", 2),
    ("я" * 70, 1), ("я" * 71, 2), ("я" * 68 + "😀", 1), ("я" * 69 + "😀", 2),
    ("Ваш код: 4711 " * 10, 3),
])
def test_the_segments_a_text_took_are_recorded_with_its_delivery(task_queue, gateway, text,
                                                                  encoding_segments, caplog):
    queue = task_queue(toml(gateway.url))
    with caplog.at_level("INFO", logger="runtime.tasks.attempts"):
        queue.enqueue("send", sms(text=text), "t1")
    row = queue.ledger.get("t1")
    assert (row["state"], row["segments"]) == ("delivered", encoding_segments)
    assert sent(gateway)[0]["text"] == text  # one request: the gateway joins the parts
    assert f"in {encoding_segments} segment(s)" in caplog.text


def test_a_message_on_another_channel_has_no_segment_count(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    queue.enqueue("send", {"channel": "webhook", "to": "visitor-7", "text": "Hi"}, "t2")
    assert queue.ledger.get("t2")["segments"] is None


@pytest.mark.parametrize("text", ["", "   \n"])
def test_an_empty_text_is_refused(task_queue, gateway, text):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match="send: /text is empty"):
        queue.enqueue("send", sms(text=text), "t3")
    assert queue.ledger.get("t3") is None and gateway.requests == []


def test_a_text_of_100_kb_is_refused_naming_the_limit(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match=r"send: /text takes 654 SMS segments \(100000 "
                                         r"characters\), more than \[sms\] max_segments \(10\)"):
        queue.enqueue("send", sms(text="a" * 100_000), "t4")
    assert queue.ledger.get("t4") is None and gateway.requests == []


def test_the_limit_is_a_setting_and_counts_segments_not_characters(task_queue, gateway):
    queue = task_queue(toml(gateway.url, extra="max_segments = 2"))
    queue.enqueue("send", sms(text="a" * 306), "t5")  # 2 GSM-7 parts
    with pytest.raises(BlockError, match="takes 3 SMS segments"):
        queue.enqueue("send", sms(text="я" * 135), "t6")  # 3 UCS-2 parts
    assert queue.ledger.get("t5")["segments"] == 2


def test_a_response_too_long_for_sms_once_rendered_is_refused_when_the_block_runs(task_queue,
                                                                                   gateway):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match=r"send: response 'bank/terms' for sms takes 33 SMS "
                                         r"segments \(5000 characters\)"):
        queue.enqueue("send", {"channel": "sms", "to": "+4915112345678",
                               "response": "bank/terms", "content": {"text": "{{ vars.terms }}"},
                               "scope": {"vars": {"terms": "x" * 5000}}}, "t7")
    assert queue.ledger.get("t7") is None and gateway.requests == []


@pytest.mark.parametrize("channel, to", [("sms", "+4915112345678"), ("webhook", "crm")])
def test_a_response_whose_template_fails_is_refused_when_the_block_runs(task_queue, gateway,
                                                                       channel, to):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match="send: response 'bank/terms': "):
        queue.enqueue("send", {"channel": channel, "to": to, "response": "bank/terms",
                               "content": {"text": "{{ vars.terms | nofilter }}"},
                               "scope": {"vars": {"terms": "x"}}}, "t8")
    assert queue.ledger.get("t8") is None and gateway.requests == []


# --- opt-outs --------------------------------------------------------------------------------

def test_nothing_is_sent_to_a_number_that_sent_stop_and_the_record_says_why(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    OptOuts(queue.records.engine).opt_out("sms", "+4915112345678", "STOP")
    queue.enqueue("send", sms(to="0151 12345678"), "o1")
    row = queue.ledger.get("o1")
    assert row["state"] == "opted_out"
    assert row["last_error"].startswith("opted out: +4915112345678 sent STOP on sms at ")
    assert gateway.requests == []


def test_a_number_that_opts_out_while_its_message_waits_in_the_queue_gets_nothing(
        task_queue, gateway, drain):
    queue = task_queue(toml(gateway.url, immediate=False))
    queue.enqueue("send", sms(), "o2")
    OptOuts(queue.records.engine).opt_out("sms", "+4915112345678", "СТОП")
    drain(queue, lambda: queue.ledger.get("o2")["state"] != "pending")
    assert queue.ledger.get("o2")["state"] == "opted_out" and gateway.requests == []


def test_after_start_the_number_is_sent_to_again(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    optouts = OptOuts(queue.records.engine)
    optouts.opt_out("sms", "+4915112345678", "STOP")
    optouts.opt_in("sms", "+4915112345678", "START")
    queue.enqueue("send", sms(), "o3")
    assert queue.ledger.get("o3")["state"] == "delivered" and len(gateway.requests) == 1


def test_the_answer_to_a_keyword_reaches_a_number_that_has_just_opted_out(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    OptOuts(queue.records.engine).opt_out("sms", "+4915112345678", "STOP")
    queue.enqueue("send", sms(text="You are unsubscribed.", keyword="stop"), "o4")
    assert queue.ledger.get("o4")["state"] == "delivered"
    assert sent(gateway) == [{"id": "o4", "from": "+4930999000", "to": "+4915112345678",
                              "text": "You are unsubscribed."}]


def test_an_opt_out_on_sms_does_not_stop_other_channels(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    OptOuts(queue.records.engine).opt_out("sms", "+4915112345678", "STOP")
    queue.enqueue("send", {"channel": "webhook", "to": "+4915112345678", "text": "Hi"}, "o5")
    assert queue.ledger.get("o5")["state"] == "delivered"


def test_skips_and_segments_are_kept_in_either_records_database(task_queue, gateway, records_url):
    queue = task_queue(toml(gateway.url, extra=f'[storage]\ndatabase_url = "{records_url}"'))
    OptOuts(queue.records.engine).opt_out("sms", "+4915199999999", "STOP")
    queue.enqueue("send", sms(text="я" * 71), "p1")
    queue.enqueue("send", sms(to="+4915199999999"), "p2")
    assert (queue.ledger.get("p1")["state"], queue.ledger.get("p1")["segments"]) == ("delivered", 2)
    assert queue.ledger.get("p2")["state"] == "opted_out"
    assert [message["to"] for message in sent(gateway)] == ["+4915112345678"]
