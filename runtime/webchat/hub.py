"""One process's open web-chat streams, fed by one listener on the shared message store."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from .events import ChatEvents, Message

log = logging.getLogger(__name__)
QUEUE = 64  # messages waiting for one slow stream; past it the stream is closed and replays
RETRY_S = 1.0  # how soon a listener that failed (Redis gone) starts again
READY_TIMEOUT_S = 5.0


class TooManyStreams(Exception):
    """This process has as many open streams as it takes (or the conversation has)."""


class Stream:
    """The messages pushed to one open stream, in order; `closed` once it fell behind."""

    def __init__(self, conversation: str) -> None:
        self.conversation = conversation
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue(QUEUE)

    def put(self, message: Message) -> None:
        """Hand a message to the stream; a full stream gets the end instead and replays later."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.put_end()

    def put_end(self) -> None:
        """End the stream: the widget reconnects with its Last-Event-ID and replays what it lacks."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class ChatHub:
    """Opens and closes the streams of one process; listens to the store while any is open."""

    def __init__(self, events: ChatEvents, max_streams: int, per_conversation: int = 8) -> None:
        self.events = events
        self.max_streams = max_streams
        self.per_conversation = per_conversation
        self._streams: dict[str, set[Stream]] = defaultdict(set)
        self._count = 0
        self._listener: asyncio.Task | None = None
        self._listening = asyncio.Event()

    @property
    def count(self) -> int:
        """Return how many streams are open in this process."""
        return self._count

    def open(self, conversation: str) -> Stream:
        """Open a stream of a conversation; raise TooManyStreams past the bounds."""
        if self._count >= self.max_streams:
            raise TooManyStreams(f"this server process has {self._count} chat streams open, "
                                 f"the most it takes ([chat] max_streams)")
        if len(self._streams[conversation]) >= self.per_conversation:
            raise TooManyStreams(f"this conversation has {self.per_conversation} streams open "
                                 f"here already")
        stream = Stream(conversation)
        self._streams[conversation].add(stream)
        self._count += 1
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        return stream

    def close(self, stream: Stream) -> None:
        """Close a stream; the listener stops with the last one."""
        streams = self._streams.get(stream.conversation)
        if streams is None or stream not in streams:
            return
        streams.discard(stream)
        if not streams:
            del self._streams[stream.conversation]
        self._count -= 1
        if self._count == 0 and self._listener is not None:
            self._listener.cancel()
            self._listener = None
            self._listening = asyncio.Event()

    async def listening(self) -> None:
        """Return once the listener hears every new message; raise TimeoutError if it cannot.

        A stream reads its replay after this, so that no message falls between the two.
        """
        await asyncio.wait_for(self._listening.wait(), READY_TIMEOUT_S)

    def _deliver(self, conversation: str, message_id: int, message: Message) -> None:
        for stream in self._streams.get(conversation, ()):
            stream.put(message)

    async def _listen(self) -> None:
        while True:
            try:
                await self.events.listen(self._deliver, self._listening.set)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store went away: say so, and the streams' replay covers it
                log.exception("listening for web-chat messages failed; trying again")
            self._listening.clear()
            # whatever was missed meanwhile, every stream replays from its last id
            for streams in list(self._streams.values()):
                for stream in list(streams):
                    stream.put_end()
            await asyncio.sleep(RETRY_S)
