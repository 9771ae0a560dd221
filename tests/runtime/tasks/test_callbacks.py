"""The `callback` task: an execution's status POSTed signed, once per key, retried, under the policy."""

from __future__ import annotations

import json
from typing import Callable

import pytest

from blocks.sdk import BlockError, ConfigurationError
from runtime.messaging.signing import verify

SECRET = "callback-secret-for-tests"
BODY = {"execution": "s1", "flow": "reminder", "status": "ended", "disposition": "completed",
        "at": 1700000000.5}


def toml(*, immediate: bool = True, retries: int = 2, allow: bool = True,
         secret: bool = True) -> str:
    """Return a callwright.toml for callbacks to 127.0.0.1."""
    text = f"[tasks]\nimmediate = {str(immediate).lower()}\nretries = {retries}\nretry_delay_s = 0\n"
    if secret:
        text += f'[webhooks]\nsecret = "{SECRET}"\n'
    if allow:
        text += '[http]\nallow = ["127.0.0.0/8"]\n'
    return text


def status_url(gateway) -> str:
    """Return the callback URL on the test gateway."""
    return gateway.url.rsplit("/", 1)[0] + "/status"


def row(queue, key: str) -> dict | None:
    """Return the ledger row of a callback."""
    return queue.ledger.get(key)


def settled(queue, key: str) -> Callable[[], bool]:
    """Return a check that a callback was posted or failed for good."""
    return lambda: (row(queue, key) or {}).get("state") in ("delivered", "failed")


@pytest.fixture(params=["immediate", "sqlite"])
def queue_mode(request) -> bool:
    """Run a test in immediate mode and on the SQLite queue."""
    return request.param == "immediate"


def test_a_callback_is_posted_once_as_signed_json_with_its_key(task_queue, gateway, queue_mode, drain):
    queue = task_queue(toml(immediate=queue_mode))
    queue.enqueue("callback", {"url": status_url(gateway), "body": BODY}, "s1.2.callback")
    drain(queue, settled(queue, "s1.2.callback"))
    [request] = gateway.requests
    assert request["path"] == "/status"
    assert json.loads(request["body"]) == BODY
    assert request["headers"]["idempotency-key"] == "s1.2.callback"
    verify(SECRET, request["headers"]["x-callwright-signature"], request["body"])
    assert (row(queue, "s1.2.callback")["state"], row(queue, "s1.2.callback")["channel"]) == ("delivered", "callback")


def test_the_same_key_queued_again_posts_nothing_more(task_queue, gateway):
    queue = task_queue(toml())
    for _ in range(3):
        queue.enqueue("callback", {"url": status_url(gateway), "body": BODY}, "s1.3.callback")
    assert len(gateway.requests) == 1


def test_a_task_run_twice_posts_once(task_queue, gateway, drain):
    queue = task_queue(toml(immediate=False))
    queue.enqueue("callback", {"url": status_url(gateway), "body": BODY}, "s1.4.callback")
    drain(queue, settled(queue, "s1.4.callback"))
    payload = {"channel": "callback", "url": status_url(gateway), "body": BODY}
    queue.huey.enqueue(queue.tasks["post_callback"].s("s1.4.callback", payload))
    drain(queue, lambda: queue.huey.pending_count() == 0)
    assert len(gateway.requests) == 1


def test_a_server_error_is_retried_until_the_callback_gets_through(task_queue, gateway, queue_mode, drain):
    queue = task_queue(toml(immediate=queue_mode))
    gateway.answer(503, 200)
    queue.enqueue("callback", {"url": status_url(gateway), "body": BODY}, "s1.5.callback")
    drain(queue, settled(queue, "s1.5.callback"))
    assert len(gateway.requests) == 2
    assert (row(queue, "s1.5.callback")["state"], row(queue, "s1.5.callback")["attempts"]) == ("delivered", 2)


def test_a_client_error_gives_up_at_once_with_the_answer(task_queue, gateway):
    queue = task_queue(toml(retries=3))
    gateway.answer(410)
    queue.enqueue("callback", {"url": status_url(gateway), "body": BODY}, "s1.6.callback")
    assert len(gateway.requests) == 1
    assert row(queue, "s1.6.callback")["state"] == "failed"
    assert "status callback answered 410" in row(queue, "s1.6.callback")["last_error"]


def test_a_callback_to_a_private_address_is_refused_by_the_network_policy(task_queue, gateway,
                                                                          monkeypatch):
    monkeypatch.delenv("CALLWRIGHT_HTTP_ALLOW", raising=False)
    queue = task_queue(toml(allow=False, retries=3))
    queue.enqueue("callback", {"url": status_url(gateway), "body": BODY}, "s1.7.callback")
    assert gateway.requests == []
    assert row(queue, "s1.7.callback")["state"] == "failed"
    assert "loopback" in row(queue, "s1.7.callback")["last_error"]


def test_callbacks_without_a_secret_are_refused_before_anything_is_recorded(task_queue, gateway):
    queue = task_queue(toml(secret=False))
    with pytest.raises(ConfigurationError, match=r"\[webhooks\] secret"):
        queue.enqueue("callback", {"url": status_url(gateway), "body": BODY}, "s1.8.callback")
    assert row(queue, "s1.8.callback") is None


@pytest.mark.parametrize("payload, message", [
    ({"url": "ftp://x/y", "body": BODY}, "/url 'ftp://x/y' must be an absolute http"),
    ({"body": BODY}, "/url must be a string"),
    ({"url": "http://127.0.0.1/x", "body": []}, "/body must be a JSON object"),
])
def test_a_payload_that_cannot_be_posted_is_refused_naming_the_field(task_queue, payload, message):
    queue = task_queue(toml())
    with pytest.raises(BlockError, match=message):
        queue.enqueue("callback", payload, "s1.9.callback")
