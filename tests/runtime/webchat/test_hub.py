"""A process's web-chat streams: bounded, fed in order, ended when they fall behind."""

from __future__ import annotations

import asyncio

import pytest

from runtime.webchat import (ChatHub, RedisChatEvents, SqliteChatEvents, TooManyStreams,
                             new_conversation)
from runtime.webchat.hub import QUEUE


@pytest.fixture
def events(tmp_path):
    store = SqliteChatEvents(tmp_path / "chat.sqlite3")
    yield store
    store.close()


def test_streams_are_refused_past_the_process_bound_and_the_conversation_bound(events):
    async def scenario() -> None:
        hub = ChatHub(events, max_streams=3, per_conversation=2)
        one = new_conversation()
        first, second = hub.open(one), hub.open(one)
        with pytest.raises(TooManyStreams, match="this conversation has 2 streams"):
            hub.open(one)
        third = hub.open(new_conversation())
        with pytest.raises(TooManyStreams, match=r"\[chat\] max_streams"):
            hub.open(new_conversation())
        for stream in (first, second, third):
            hub.close(stream)
        assert hub.count == 0
        hub.close(first)  # closing twice changes nothing
        assert hub.count == 0
    asyncio.run(scenario())


def test_a_stream_gets_its_conversations_new_messages_in_order(events):
    async def scenario() -> None:
        hub = ChatHub(events, max_streams=10)
        conversation = new_conversation()
        stream = hub.open(conversation)
        other = hub.open(new_conversation())
        await asyncio.sleep(0.2)
        ids = [events.append(conversation, {"side": "bot", "text": str(n)}) for n in range(3)]
        got = [await asyncio.wait_for(stream.queue.get(), 5) for _ in ids]
        assert [m["id"] for m in got] == ids
        assert other.queue.empty()
        hub.close(stream)
        hub.close(other)
    asyncio.run(scenario())


def test_a_stream_that_falls_behind_is_ended_instead_of_queueing_without_bound(events):
    async def scenario() -> None:
        hub = ChatHub(events, max_streams=10)
        stream = hub.open(new_conversation())
        for number in range(QUEUE + 1):
            stream.put({"id": number + 1, "side": "bot", "text": "x"})
        assert stream.queue.qsize() == 1 and stream.queue.get_nowait() is None
        hub.close(stream)
    asyncio.run(scenario())


@pytest.fixture(params=["sqlite", "redis"])
def any_events(request, tmp_path):
    store = (SqliteChatEvents(tmp_path / "chat.sqlite3") if request.param == "sqlite"
             else RedisChatEvents(request.getfixturevalue("redis_url")))
    yield store
    store.close()


def test_once_the_hub_listens_a_message_appended_at_once_reaches_the_stream(any_events):
    # what a stream's replay relies on: it is read only after listening(), so nothing kept
    # between the replay and the first pushed message is missed
    async def scenario() -> None:
        hub = ChatHub(any_events, max_streams=10)
        conversation = new_conversation()
        stream = hub.open(conversation)
        await hub.listening()
        message_id = any_events.append(conversation, {"side": "bot", "text": "now"})
        got = await asyncio.wait_for(stream.queue.get(), 5)
        assert got == {"id": message_id, "side": "bot", "text": "now"}
        hub.close(stream)
    asyncio.run(scenario())
