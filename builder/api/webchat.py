"""The web-chat widget's API: a route's conversations for pages of the allowed origins.

`/widget.js` (builder.api.editor) is loaded by one script tag on any site; it talks to

- `POST /api/v1/webchat/<route>/messages` `{text, conversation?, id?}`: the visitor's message
  runs one turn of the flow the `chat` table of routes.json gives the route, continuing the
  conversation's waiting session or starting one; it answers the conversation id (new on the
  first message) and the messages shown, each with its id;
- `GET /api/v1/webchat/<route>/conversations/<conversation>/events`: Server-Sent Events of
  every message of the conversation after `Last-Event-ID` (or `?after=`), then each new one as
  it comes (`builder.api.webchat_stream`): replies of turns that finished later, `send` on
  channel chat, an agent.

Pages of other origins reach it only when `[chat] origins` lists them (CORS, preflights
answered); any other origin gets 403. Like the chat API it is answered in front of Flask, on the
worker's event loop; turns run on a thread, as they are synchronous (`Runtime.inbound`).
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote, urlsplit

from runtime.engine.threadloop import thread_loop
from runtime.jsontext import dump_bytes
from runtime.tasks import task_config
from runtime.webchat import (CONVERSATION, ChatHub, Message, chat_events_url, messages_of,
                             new_conversation, open_chat_events)

from ..errors import ApiError, BadRequest, error_parts
from . import API_PREFIX
from .body import (ClientDisconnected, check_media_type, kind_of, parse_body, pointer_of,
                   receive_body)
from .chat import MAX_TEXT, Receive, Scope, Send
from .webchat_stream import stream_events

if TYPE_CHECKING:
    from runtime import Runtime

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_ID = 128
DEFAULT_MAX_STREAMS = 1000  # open event streams per HTTP worker process
TURN_THREADS = 8  # widget turns at once per process (Runtime.inbound is synchronous)
CLOSE_TIMEOUT_S = 10.0
FIELDS = ("text", "conversation", "id")
PREFLIGHT_MAX_AGE_S = 600
MESSAGES = re.compile(re.escape(API_PREFIX) + r"/webchat/([^/]+)/messages\Z")
EVENTS = re.compile(re.escape(API_PREFIX) + r"/webchat/([^/]+)/conversations/([^/]+)/events\Z")


class AsgiWebChat:
    """ASGI middleware answering the widget's requests and passing everything else to `app`."""

    def __init__(self, app: Callable, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        settings = runtime.workspace.settings
        chat = settings.get("chat", {})
        self.origins = frozenset(chat.get("origins", ()))
        root = runtime.workspace.root
        config = task_config(root, settings, runtime.environ) if root is not None else None
        url = (chat_events_url(root, config.redis_url, config.sessions_url)
               if config is not None else None)
        self.events = open_chat_events(url) if url else None
        self.hub = (ChatHub(self.events, int(chat.get("max_streams", DEFAULT_MAX_STREAMS)))
                    if self.events is not None else None)
        # threads of its own, each with its event loop and HTTP client for the runtime's turns
        # (run_sync), closed with them at shutdown
        self._threads = 0
        self._count_lock = threading.Lock()
        self.turns = ThreadPoolExecutor(TURN_THREADS, "webchat-turn", initializer=self._started)

    def _started(self) -> None:
        with self._count_lock:
            self._threads += 1

    def close(self) -> None:
        """Close the turn threads' HTTP clients and event loops, then the message store."""
        with self._count_lock:
            threads = self._threads
        if threads:
            # one closing job for each thread: the barrier holds each thread to one of them
            barrier = threading.Barrier(threads)

            def finish() -> None:
                barrier.wait(CLOSE_TIMEOUT_S)
                loop = thread_loop()
                loop.run_until_complete(self.runtime.close_http())
                loop.close()
            for _ in range(threads):
                self.turns.submit(finish)
        self.turns.shutdown(wait=True)
        if self.events is not None:
            self.events.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        messages = MESSAGES.match(path) if path.startswith(API_PREFIX + "/webchat/") else None
        events = EVENTS.match(path) if messages is None and path else None
        if messages is None and events is None:
            return await self.app(scope, receive, send)
        method = scope["method"]
        fields = dict(scope["headers"])
        origin = fields.get(b"origin", b"").decode("latin-1")
        cors = self.cors_headers(origin, fields.get(b"host", b"").decode("latin-1"))
        try:
            if cors is None:
                raise ApiError(f"the origin {origin} may not use this web chat: add it to "
                               f"[chat] origins in callwright.toml (or CALLWRIGHT_CHAT_ORIGINS)",
                               code="origin_not_allowed", status=403)
            if method == "OPTIONS":
                return await respond(send, 204, cors + preflight_headers(messages is not None),
                                     b"")
            if self.events is None or self.hub is None:
                raise ApiError("web chat needs a workspace folder", code="not_found", status=404)
            if messages is not None:
                if method != "POST":
                    raise not_allowed(method, "POST")
                return await self.message(scope, receive, send, unquote(messages.group(1)), cors)
            if method != "GET":
                raise not_allowed(method, "GET")
            route, conversation = unquote(events.group(1)), unquote(events.group(2))
            self.flow_of(route)
            if not CONVERSATION.match(conversation):
                raise ApiError(f"no conversation {conversation!r}", code="not_found", status=404)
            return await stream_events(scope, receive, send, self.hub, conversation, cors)
        except ClientDisconnected:
            return
        except Exception as exc:  # every failure answers the error envelope, as in Flask views
            status, body, extra = error_parts(exc)
            await respond(send, status, [("Content-Type", "application/json"), *(cors or []),
                                         *extra.items()], body)

    def cors_headers(self, origin: str, host: str) -> list[tuple[str, str]] | None:
        """Return the CORS headers for a request's Origin, or None when it may not come in.

        A request without an Origin is no browser's page (a browser sends one on every
        cross-origin request and every POST): CORS has nothing to protect there; nor on a page
        of this server itself (its origin names the host the request came to).
        """
        if not origin or urlsplit(origin).netloc == host:
            return []
        if origin in self.origins or "*" in self.origins:
            return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        return None

    def flow_of(self, route: str) -> str:
        """Return the flow a route of the chat table runs; raise a 404 naming the table."""
        flow_id = self.runtime.workspace.route("chat", route)
        if flow_id is None:
            raise ApiError(f"no chat route {route!r}: add it to the \"chat\" table of "
                           f"routes.json", code="no_route", status=404)
        return flow_id

    async def message(self, scope: Scope, receive: Receive, send: Send, route: str,
                      cors: list[tuple[str, str]]) -> None:
        """Run the turn of one visitor message and answer what the widget shows."""
        fields = dict(scope["headers"])
        check_media_type(fields.get(b"content-type", b"").decode("latin-1"))
        length = fields.get(b"content-length")
        raw = await receive_body(receive, None if length is None else length.decode("latin-1"),
                                 MAX_BODY_BYTES)
        text, conversation, message_id = message_of(raw)
        self.flow_of(route)
        answer = await asyncio.get_running_loop().run_in_executor(
            self.turns, self.turn, route, conversation or new_conversation(), text, message_id)
        await respond(send, 200, [("Content-Type", "application/json"), *cors],
                      dump_bytes(answer))

    def turn(self, route: str, conversation: str, text: str, message_id: str | None) -> dict:
        """Keep the visitor's message, run the turn, keep and return what it shows."""
        assert self.events is not None
        # keyed by the widget's own message id: a retried POST keeps and runs nothing twice
        key = f"{conversation}.{message_id}" if message_id else None
        shown: list[Message] = []
        visitor: Message = {"side": "visitor", "text": text}
        visitor["id"] = self.events.append(conversation, visitor,
                                           f"{key}.visitor" if key else None)
        result = self.runtime.inbound("chat", conversation, route, text, message_id)
        for index, message in enumerate(messages_of(result["replies"]), 1):
            message["id"] = self.events.append(conversation, message,
                                               f"{key}.{index}" if key else None)
            shown.append(message)
        return {"conversation": conversation, "session": result["session"],
                "messages": [visitor, *shown], "ended": result["ended"],
                "duplicate": result.get("duplicate", False)}


def message_of(raw: bytes) -> tuple[str, str | None, str | None]:
    """Return (text, conversation or None, message id or None) of a body, or raise a 400."""
    body = parse_body(raw)
    problems = check_message(body)
    if problems:
        raise BadRequest.fields(problems)
    return body["text"], body.get("conversation"), body.get("id")


def check_message(body: Any) -> list[tuple[str, str]]:
    """Return (JSON pointer, message) for everything wrong with a widget message body."""
    if not isinstance(body, dict):
        return [("", f"must be a JSON object like {{\"text\": \"hello\"}}, not {kind_of(body)}")]
    problems = []
    text = body.get("text")
    if not isinstance(text, str):
        problems.append(("/text", "is required" if "text" not in body
                         else f"must be a string, not {kind_of(text)}"))
    elif not text.strip():
        problems.append(("/text", "is empty"))
    elif len(text) > MAX_TEXT:
        problems.append(("/text", f"must be at most {MAX_TEXT} characters, not {len(text)}"))
    conversation = body.get("conversation")
    if conversation is not None and not (isinstance(conversation, str)
                                         and CONVERSATION.match(conversation)):
        problems.append(("/conversation", "must be the conversation id this API gave"))
    message_id = body.get("id")
    if message_id is not None and not (isinstance(message_id, str)
                                       and 0 < len(message_id) <= MAX_MESSAGE_ID):
        problems.append(("/id", f"must be a string of 1 to {MAX_MESSAGE_ID} characters"))
    for key in body:
        if key not in FIELDS:
            problems.append((pointer_of(key), "is not a field of a web-chat message "
                                              f"(expected {', '.join(FIELDS)})"))
    return problems


def preflight_headers(post: bool) -> list[tuple[str, str]]:
    """Return the headers answering a CORS preflight of one of the widget's URLs."""
    return [("Access-Control-Allow-Methods", "POST, OPTIONS" if post else "GET, OPTIONS"),
            ("Access-Control-Allow-Headers", "Content-Type, Last-Event-ID"),
            ("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE_S))]


def not_allowed(method: str, allowed: str) -> ApiError:
    """Return the 405 of a method the URL does not take."""
    return ApiError(f"the method {method} is not allowed for this URL (use {allowed})",
                    code="method_not_allowed", status=405, headers={"Allow": f"OPTIONS, {allowed}"})


async def respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    """Send a whole response."""
    if status != 204:
        headers = [*headers, ("Content-Length", str(len(body)))]
    await send({"type": "http.response.start", "status": status,
                "headers": [(name.lower().encode("latin-1"), value.encode("latin-1"))
                            for name, value in headers]})
    await send({"type": "http.response.body", "body": body})
