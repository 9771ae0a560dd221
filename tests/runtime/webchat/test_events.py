"""The web-chat message store: the same contract on SQLite and on Redis."""

from __future__ import annotations

import asyncio

import pytest

from runtime.webchat import (CONVERSATION, RedisChatEvents, SqliteChatEvents, chat_events_url,
                             messages_of, new_conversation, open_chat_events)
from runtime.webchat.events import KEEP


@pytest.fixture(params=["sqlite", "redis"])
def open_events(request, tmp_path):
    """Return open_events(): a store of the backend; both see what the other appended."""
    opened = []

    def open_():
        if request.param == "sqlite":
            events = SqliteChatEvents(tmp_path / "chat.sqlite3")
        else:
            events = RedisChatEvents(request.getfixturevalue("redis_url"))
        opened.append(events)
        return events
    yield open_
    for events in opened:
        events.close()


def test_messages_come_back_in_order_after_an_id_and_only_of_their_conversation(open_events):
    events = open_events()
    a, b = new_conversation(), new_conversation()
    first = events.append(a, {"side": "visitor", "text": "hello"})
    events.append(b, {"side": "visitor", "text": "other"})
    second = events.append(a, {"side": "bot", "text": "Hi", "quick_replies": ["Yes", "No"]})
    assert second > first
    assert events.since(a, 0) == [{"id": first, "side": "visitor", "text": "hello"},
                                  {"id": second, "side": "bot", "text": "Hi",
                                   "quick_replies": ["Yes", "No"]}]
    assert [m["id"] for m in events.since(a, first)] == [second]
    assert events.since(a, second) == []
    assert events.since(new_conversation(), 0) == []


def test_a_keyed_message_appended_again_keeps_one_copy_and_its_first_id(open_events):
    events = open_events()
    conversation = new_conversation()
    first = events.append(conversation, {"side": "bot", "text": "Parcel sent"}, "s1.reply.1")
    again = open_events().append(conversation, {"side": "bot", "text": "Parcel sent"},
                                 "s1.reply.1")
    assert again == first
    assert len(events.since(conversation, 0)) == 1


def test_a_conversation_keeps_only_its_latest_messages(open_events):
    events = open_events()
    conversation = new_conversation()
    for number in range(KEEP + 5):
        events.append(conversation, {"side": "bot", "text": str(number)})
    kept = events.since(conversation, 0)
    assert len(kept) == KEEP
    assert kept[0]["text"] == "5" and kept[-1]["text"] == str(KEEP + 4)


def test_a_listener_hears_what_another_store_of_the_same_place_appends(open_events):
    listening, writing = open_events(), open_events()
    conversation = new_conversation()
    heard: list[tuple[str, int, dict]] = []

    async def scenario() -> None:
        task = asyncio.create_task(listening.listen(lambda *got: heard.append(got)))
        await asyncio.sleep(0.3)  # subscribed (Redis) or past the current last id (SQLite)
        message_id = await asyncio.to_thread(writing.append, conversation,
                                             {"side": "bot", "text": "later"})
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.05)
        task.cancel()
        assert heard == [(conversation, message_id, {"id": message_id, "side": "bot",
                                                     "text": "later"})]

    asyncio.run(scenario())


def test_new_conversation_ids_are_random_and_of_the_accepted_form():
    ids = {new_conversation() for _ in range(100)}
    assert len(ids) == 100 and all(CONVERSATION.match(i) for i in ids)
    assert not CONVERSATION.match("short") and not CONVERSATION.match("../" * 10)


def test_a_turns_replies_become_the_messages_the_widget_shows():
    replies = [{"event": "say", "text": "Hi"},
               {"event": "ask", "prompt": "Which?", "kind": "choice",
                "choices": [{"key": "1", "label": "Balance"}], "quick_replies": ["Balance"]},
               {"event": "transfer", "target": {"queue": "support"}},
               {"event": "end", "disposition": "completed"}]
    assert messages_of(replies) == [{"side": "bot", "text": "Hi"},
                                    {"side": "bot", "text": "Which?",
                                     "quick_replies": ["Balance"]},
                                    {"side": "bot", "notice": "transfer"},
                                    {"side": "bot", "notice": "ended"}]


def test_the_store_follows_the_workspaces_redis_else_sqlite_beside_the_sessions(tmp_path):
    assert chat_events_url(tmp_path, "redis://r:6379/0", "sqlite:///x") == "redis://r:6379/0"
    assert chat_events_url(tmp_path, None, "redis://s:6379/1") == "redis://s:6379/1"
    assert chat_events_url(tmp_path, None, "sqlite:///x") == \
        f"sqlite:///{tmp_path / '.callwright' / 'chat-events.sqlite3'}"
    with pytest.raises(Exception, match="unknown chat message store URL 'memory:'"):
        open_chat_events("memory:")
