"""The web-chat widget's event stream: Server-Sent Events of one conversation's messages.

A stream first replays what the conversation kept after the client's `Last-Event-ID` (the
browser's EventSource sends it when it reconnects; `?after=N` on the first connection), then
sends each new message as the process's hub hands it over. A comment every `HEARTBEAT_S` keeps
proxies from closing an idle stream; a stream that falls behind is ended, and its EventSource
reconnects and replays, so nothing is lost and nothing is queued without bound.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from runtime.webchat import ChatHub, Message, TooManyStreams

from ..errors import ApiError
from .chat import Receive, Scope, Send

HEARTBEAT_S = 15.0
RECONNECT_MS = 1000  # what the EventSource waits before it reconnects
MAX_AFTER = 2 ** 63 - 1


async def stream_events(scope: Scope, receive: Receive, send: Send, hub: ChatHub,
                        conversation: str, cors: list[tuple[str, str]]) -> None:
    """Answer one event stream until the client goes away or the stream must replay."""
    after = last_event_id(scope)
    try:
        stream = hub.open(conversation)
    except TooManyStreams as exc:
        raise ApiError(str(exc), code="too_many_streams", status=503,
                       headers={"Retry-After": "5"}) from None
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        try:
            await hub.listening()
        except TimeoutError:
            raise ApiError("the web-chat message store does not answer; try again",
                           code="unavailable", status=503, headers={"Retry-After": "5"}) from None
        headers = [("Content-Type", "text/event-stream; charset=utf-8"),
                   ("Cache-Control", "no-store"), ("X-Accel-Buffering", "no"), *cors]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in headers]})
        await _chunk(send, f"retry: {RECONNECT_MS}\n\n".encode())
        # listening before the replay is read: a message kept in between comes both ways, and
        # the id check below sends it once
        kept = await asyncio.to_thread(hub.events.since, conversation, after)
        for message in kept:
            await _chunk(send, event_bytes(message))
            after = message["id"]
        while True:
            got = asyncio.ensure_future(stream.queue.get())
            done, _ = await asyncio.wait({got, gone}, timeout=HEARTBEAT_S,
                                         return_when=asyncio.FIRST_COMPLETED)
            if gone in done:
                got.cancel()
                return
            if got not in done:
                got.cancel()
                await _chunk(send, b": still here\n\n")
                continue
            message = got.result()
            if message is None:  # fell behind, or the store was away: the client replays
                break
            if message["id"] > after:
                await _chunk(send, event_bytes(message))
                after = message["id"]
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()
        hub.close(stream)


def last_event_id(scope: Scope) -> int:
    """Return the id after which a stream starts: Last-Event-ID, else `?after=`, else 0."""
    header = dict(scope["headers"]).get(b"last-event-id")
    if header is not None:
        text, where = header.decode("latin-1"), "the Last-Event-ID header"
    else:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        text, where = (query.get("after") or ["0"])[-1], "?after"
    if not text.strip().isdigit() or int(text) > MAX_AFTER:
        raise ApiError(f"{where} must be a message id (a whole number), not {text!r}",
                       code="bad_request", status=400)
    return int(text)


def event_bytes(message: Message) -> bytes:
    """Return one message as a Server-Sent Event with its id."""
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return f"id: {message['id']}\ndata: {data}\n\n".encode("utf-8")


async def _chunk(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    """Return once the client has gone away."""
    while (await receive())["type"] != "http.disconnect":
        pass
