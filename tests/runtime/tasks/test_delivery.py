"""The `send` task: each message delivered once per key, retried with back-off, on every backend."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Callable

import pytest

from blocks.sdk import BlockError, ConfigurationError

SECRET = "gateway-secret-for-tests"
SMS = {"channel": "sms", "to": "+4915112345678", "text": "Your code is 4711."}


def toml(gateway_url: str, *, redis_url: str | None = None, immediate: bool = True,
         retries: int = 2, delay_s: float = 0.0, allow: bool = True, extra: str = "") -> str:
    """Return a callwright.toml for a gateway on 127.0.0.1 and a queue backend."""
    text = f"""
[sms]
gateway = "{gateway_url}"
from = "+4930999000"
[webhooks]
secret = "{SECRET}"
url = "{gateway_url.rsplit('/', 1)[0]}/hook"
[tasks]
immediate = {str(immediate).lower()}
retries = {retries}
retry_delay_s = {delay_s}
"""
    if allow:
        text += '[http]\nallow = ["127.0.0.0/8"]\n'
    if redis_url:
        text += f'[storage]\nredis_url = "{redis_url}"\n'
    return text + extra


def state_of(queue, key: str) -> dict | None:
    """Return the ledger row of a message."""
    return queue.ledger.get(key)


def settled(queue, key: str) -> Callable[[], bool]:
    """Return a check that a message was delivered or failed for good."""
    return lambda: (state_of(queue, key) or {}).get("state") in ("delivered", "failed")


@pytest.fixture(params=["immediate", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest) -> dict:
    """Run a test on each queue: immediate mode, SQLite and a real Redis server."""
    if request.param == "immediate":
        return {"immediate": True}
    if request.param == "sqlite":
        return {"immediate": False}
    return {"immediate": False, "redis_url": request.getfixturevalue("redis_url")}


def test_an_sms_goes_to_the_gateway_once_as_signed_json_carrying_its_key(task_queue, gateway,
                                                                        backend, drain):
    queue = task_queue(toml(gateway.url, **backend))
    queue.enqueue("send", SMS, "s1.1.2.notify")
    drain(queue, settled(queue, "s1.1.2.notify"))
    [request] = gateway.requests
    assert json.loads(request["body"]) == {"id": "s1.1.2.notify", "from": "+4930999000",
                                           "to": "+4915112345678", "text": "Your code is 4711."}
    assert request["path"] == "/messages"
    assert request["headers"]["idempotency-key"] == "s1.1.2.notify"
    assert request["headers"]["content-type"] == "application/json"
    stamp, _, mac = request["headers"]["x-callwright-signature"].partition(",v1=")
    timestamp = stamp.removeprefix("t=")
    assert abs(int(timestamp) - time.time()) < 60
    assert mac == hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request["body"],
                           hashlib.sha256).hexdigest()
    row = state_of(queue, "s1.1.2.notify")
    assert (row["state"], row["attempts"], row["last_error"]) == ("delivered", 1, None)


def test_queueing_the_same_key_again_delivers_nothing_more(task_queue, gateway, backend, drain):
    queue = task_queue(toml(gateway.url, **backend))
    queue.enqueue("send", SMS, "s1.1.2.notify")
    drain(queue, settled(queue, "s1.1.2.notify"))
    queue.enqueue("send", {**SMS, "text": "changed"}, "s1.1.2.notify")
    drain(queue, lambda: True)
    assert len(gateway.requests) == 1
    assert queue.huey.pending_count() == 0


def test_a_task_run_twice_sends_once(task_queue, gateway, backend, drain):
    queue = task_queue(toml(gateway.url, **backend))
    queue.enqueue("send", SMS, "s2.1.1.notify")
    drain(queue, settled(queue, "s2.1.1.notify"))
    # what Huey does when a task is re-enqueued after its worker was stopped
    queue.huey.enqueue(queue.tasks["send_message"].s("s2.1.1.notify", SMS))
    drain(queue, lambda: queue.huey.pending_count() == 0)
    assert len(gateway.requests) == 1


def test_a_gateway_answering_500_then_200_gets_the_message_on_the_retry(task_queue, gateway,
                                                                       backend, drain):
    queue = task_queue(toml(gateway.url, **backend))
    gateway.answer(500, 200)
    queue.enqueue("send", SMS, "s3.1.1.notify")
    drain(queue, settled(queue, "s3.1.1.notify"))
    assert [r["headers"]["idempotency-key"] for r in gateway.requests] == ["s3.1.1.notify"] * 2
    assert list(gateway.delivered) == ["s3.1.1.notify"]
    row = state_of(queue, "s3.1.1.notify")
    assert (row["state"], row["attempts"]) == ("delivered", 2)


def test_retries_wait_longer_each_time(task_queue, gateway, drain):
    queue = task_queue(toml(gateway.url, immediate=False, retries=2, delay_s=0.3))
    gateway.answer(503, 503, 200)
    queue.enqueue("send", SMS, "s4.1.1.notify")
    drain(queue, settled(queue, "s4.1.1.notify"))
    first, second, third = (r["at"] for r in gateway.requests)
    assert second - first >= 0.3
    assert third - second >= 0.6  # back-off doubles the delay
    assert state_of(queue, "s4.1.1.notify")["state"] == "delivered"


def test_a_message_the_gateway_keeps_refusing_fails_with_the_last_error(task_queue, gateway,
                                                                       backend, drain):
    queue = task_queue(toml(gateway.url, retries=1, **backend))
    gateway.answer(502, 502, 502)
    queue.enqueue("send", SMS, "s5.1.1.notify")
    drain(queue, settled(queue, "s5.1.1.notify"))
    assert len(gateway.requests) == 2
    row = state_of(queue, "s5.1.1.notify")
    assert (row["state"], row["attempts"]) == ("failed", 2)
    assert "sms gateway answered 502" in row["last_error"]


def test_a_client_error_fails_at_once_without_retries(task_queue, gateway):
    queue = task_queue(toml(gateway.url, retries=3))
    gateway.answer(422)
    queue.enqueue("send", SMS, "s6.1.1.notify")
    assert len(gateway.requests) == 1
    row = state_of(queue, "s6.1.1.notify")
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert "answered 422" in row["last_error"]


def test_a_gateway_on_a_private_address_is_refused_by_the_network_policy(task_queue, gateway,
                                                                        monkeypatch):
    monkeypatch.delenv("CALLWRIGHT_HTTP_ALLOW", raising=False)
    queue = task_queue(toml(gateway.url, allow=False, retries=3))
    queue.enqueue("send", SMS, "s7.1.1.notify")
    assert gateway.requests == []
    row = state_of(queue, "s7.1.1.notify")
    assert row["state"] == "failed"
    assert "loopback" in row["last_error"] and "CALLWRIGHT_HTTP_ALLOW" in row["last_error"]


def test_a_webhook_message_goes_to_the_webhooks_url(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    queue.enqueue("send", {"channel": "webhook", "to": "visitor-7", "text": "Hi",
                           "from": "support-bot"}, "s8.1.1.hook")
    [request] = gateway.requests
    assert request["path"] == "/hook"
    assert json.loads(request["body"]) == {"id": "s8.1.1.hook", "from": "support-bot",
                                           "to": "visitor-7", "text": "Hi"}


@pytest.mark.parametrize("missing, named", [
    ("[sms]\nfrom = \"+1\"\n", "[sms] gateway"),
])
def test_sending_without_a_gateway_is_refused_naming_the_setting(task_queue, missing, named):
    queue = task_queue(f"[webhooks]\nsecret = \"{SECRET}\"\n[tasks]\nimmediate = true\n{missing}")
    with pytest.raises(ConfigurationError, match=r"\[sms\] gateway .*CALLWRIGHT_SMS_GATEWAY"):
        queue.enqueue("send", SMS, "s9.1.1.notify")
    assert state_of(queue, "s9.1.1.notify") is None


def test_sending_unsigned_is_refused(task_queue, gateway):
    queue = task_queue(f'[sms]\ngateway = "{gateway.url}"\n[tasks]\nimmediate = true\n')
    with pytest.raises(ConfigurationError, match=r"\[webhooks\] secret"):
        queue.enqueue("send", SMS, "s10.1.1.notify")
    assert gateway.requests == []


@pytest.mark.parametrize("payload, message", [
    ({"channel": "fax", "to": "1", "text": "x"}, "/channel 'fax' is not one of"),
    ({"channel": "sms", "to": "  ", "text": "x"}, "/to is empty"),
    ({"channel": "email", "to": "nobody", "text": "x"}, "not an e-mail address"),
    ({"channel": "sms", "to": "1"}, "exactly one of /text and /response"),
])
def test_a_payload_that_cannot_be_sent_is_refused_naming_the_field(task_queue, gateway, payload,
                                                                   message):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match=message):
        queue.enqueue("send", payload, "s11.1.1.notify")


def test_an_unknown_task_is_refused_naming_the_known_ones(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match="unknown task 'fax'.*send"):
        queue.enqueue("fax", SMS, "s12.1.1.notify")


def test_a_named_response_goes_as_its_block_chose_it_rendered_with_the_sessions_data(
        task_queue, gateway):
    # the workspace of this queue has no responses folder at all: the payload carries the content
    queue = task_queue(toml(gateway.url))
    scope = {"vars": {"name": "Анна"}, "contact": {}, "trigger": {}}
    queue.enqueue("send", {"channel": "sms", "to": "+4915112345678", "response": "bank/hours",
                           "content": {"text": "Акме: Пн-Пт 8-20, {{ vars.name }}."},
                           "scope": scope}, "s13.1.1.a")
    queue.enqueue("send", {"channel": "webhook", "to": "+1", "response": "bank/hours",
                           "content": {"text": "Open 8-20.", "quick_replies": ["Agent"]},
                           "scope": scope}, "s13.1.1.b")
    bodies = [json.loads(r["body"]) for r in gateway.requests]
    assert [body["text"] for body in bodies] == ["Акме: Пн-Пт 8-20, Анна.", "Open 8-20."]
    # a webhook message is {id, from, to, text}: it has no place for quick replies
    assert set(bodies[1]) == {"id", "from", "to", "text"}


def test_content_without_a_text_is_refused_naming_it(task_queue, gateway):
    queue = task_queue(toml(gateway.url))
    with pytest.raises(BlockError, match="/content/text is not a text"):
        queue.enqueue("send", {"channel": "sms", "to": "+4915112345678", "response": "bank/x",
                               "content": {"subject": "s"}}, "s13.1.1.c")
    assert queue.ledger.get("s13.1.1.c") is None


def test_a_payload_queued_before_send_chose_its_response_still_delivers(task_queue, gateway,
                                                                         tmp_path):
    root = tmp_path / "tasks-workspace"
    (root / "responses").mkdir(parents=True)
    (root / "responses" / "bank.json").write_text(json.dumps({
        "schema": "callwright/responses@1", "id": "bank",
        "responses": {"hours": {"text": "Open 8-20.", "variants": [
            {"language": "ru", "text": "Мы работаем с 8 до 20, {{ vars.name }}."},
            {"channel": "sms", "text": "Acme: Mon-Fri 8-20."},
            {"channel": "sms", "language": "ru", "text": "Акме: Пн-Пт 8-20, {{ vars.name }}."}]}}}),
        "utf-8")
    queue = task_queue(toml(gateway.url), root=root)
    scope = {"vars": {"name": "Анна"}, "contact": {}, "trigger": {}}
    queue.enqueue("send", {"channel": "sms", "to": "+4915112345678", "response": "bank/hours",
                           "language": "ru-RU", "scope": scope}, "s13.1.1.a")
    queue.enqueue("send", {"channel": "sms", "to": "+4915112345678", "response": "bank/hours",
                           "language": "en-US", "scope": scope}, "s13.1.1.b")
    queue.enqueue("send", {"channel": "webhook", "to": "+1", "response": "bank/hours",
                           "language": "en", "scope": scope}, "s13.1.1.c")
    texts = [json.loads(r["body"])["text"] for r in gateway.requests]
    assert texts == ["Акме: Пн-Пт 8-20, Анна.", "Acme: Mon-Fri 8-20.", "Open 8-20."]


def test_an_old_payload_naming_a_missing_response_fails_naming_it(task_queue, gateway):
    queue = task_queue(toml(gateway.url, retries=3))
    queue.enqueue("send", {"channel": "sms", "to": "+4915112345678", "response": "bank/nope",
                           "language": "en"}, "s14.1.1.notify")
    row = state_of(queue, "s14.1.1.notify")
    assert row["state"] == "failed" and "bank/nope" in row["last_error"]
    assert gateway.requests == []
