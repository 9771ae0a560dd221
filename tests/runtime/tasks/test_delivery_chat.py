"""`send` on chat: a message pushed to a web-chat conversation, kept once per key."""

from __future__ import annotations

import pytest

from runtime.tasks import task_config
from runtime.webchat import chat_events_url, new_conversation, open_chat_events


def toml(*, redis_url: str | None = None, immediate: bool = True) -> str:
    """Return a callwright.toml with no gateway at all: chat needs none."""
    text = f"[tasks]\nimmediate = {str(immediate).lower()}\nretries = 0\n"
    if redis_url:
        text += f'[storage]\nredis_url = "{redis_url}"\n'
    return text


@pytest.fixture(params=["sqlite", "redis"])
def backend(request) -> dict:
    """Run a test on the SQLite queue and store, and on a real Redis for both."""
    if request.param == "sqlite":
        return {"immediate": False}
    return {"immediate": False, "redis_url": request.getfixturevalue("redis_url")}


def kept(queue, conversation: str) -> list[dict]:
    """Return the messages the conversation's widget would be shown."""
    config = task_config(queue.config.root)
    events = open_chat_events(chat_events_url(config.root, config.redis_url, config.sessions_url))
    try:
        return events.since(conversation, 0)
    finally:
        events.close()


def test_a_chat_message_reaches_its_conversation_once_even_when_its_task_runs_twice(
        task_queue, backend, drain):
    queue = task_queue(toml(**backend))
    conversation = new_conversation()
    payload = {"channel": "chat", "to": conversation, "text": "Your parcel left the warehouse."}
    queue.enqueue("send", payload, "s9.2.reply.1")
    drain(queue, lambda: (queue.ledger.get("s9.2.reply.1") or {}).get("state") == "delivered")
    # what Huey does when a task is re-enqueued after its worker was stopped mid-delivery
    queue.huey.enqueue(queue.tasks["send_message"].s("s9.2.reply.1", payload))
    drain(queue, lambda: queue.huey.pending_count() == 0)
    [message] = kept(queue, conversation)
    assert (message["side"], message["text"]) == ("bot", "Your parcel left the warehouse.")


def test_a_chat_response_shows_its_quick_replies_as_the_widgets_buttons(task_queue):
    queue = task_queue(toml())
    conversation = new_conversation()
    queue.enqueue("send", {"channel": "chat", "to": conversation, "response": "bank/hours",
                           "content": {"text": "Open 8-20, {{ vars.name }}.",
                                       "quick_replies": ["Balance", "Agent"]},
                           "scope": {"vars": {"name": "Ada"}}}, "s9.3.1.notify")
    [message] = kept(queue, conversation)
    assert (message["text"], message["quick_replies"]) == ("Open 8-20, Ada.", ["Balance", "Agent"])


def test_a_chat_message_to_something_that_is_no_conversation_fails_naming_it(task_queue):
    queue = task_queue(toml())
    queue.enqueue("send", {"channel": "chat", "to": "+4915112345678", "text": "Hi"}, "s1.1.x")
    row = queue.ledger.get("s1.1.x")
    assert row["state"] == "failed"
    assert "not a web-chat conversation id" in row["last_error"]
