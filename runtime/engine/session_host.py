"""The engine's side of the block context: one host per running turn of a session."""

from __future__ import annotations

import asyncio
import os
import random
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Protocol

from blocks.sdk import (BlockError, Classification, Host, HttpRequest, HttpResponse, Input,
                        ScriptResult)
from runtime.bots import Bot
from runtime.responses import UnknownResponse
from runtime.channels import Channel
from runtime.sessions import Session
from runtime.sandbox import ScriptPool, shared_pool

from .inputs import InputSource

if TYPE_CHECKING:
    from runtime.records import RecordingStore

_MAX_EXCHANGED = 200  # messages of one turn kept for the timeline (a long call has many)
# queues a named task with its payload under an idempotency key and returns the key
TaskQueue = Callable[[str, dict, str], str]
# carries out a transfer to a target within a timeout; returns connected, busy, noanswer or failed
Transferor = Callable[[dict, float | None], Awaitable[str]]
# the live version of a bot by id, None when the workspace has no such bot
BotLookup = Callable[[str], Bot | None]
# the content of a named response for a channel and a language; raises UnknownResponse
ResponseLookup = Callable[[str, str, str], dict]


class Recorded(Protocol):
    """What a recorder took (runtime.ports.Recording): seconds, and 8 kHz PCM where kept."""

    seconds: float
    audio: bytes | None


# records the contact for at most max_s seconds, after the queued prompt and beep have played;
# None when nothing was recorded
Recorder = Callable[[float], Awaitable[Recorded | None]]


class SessionHost(Host):
    """The world as the engine offers it to blocks: channel, inputs, network, clock, secrets."""

    def __init__(self, channel: Channel, inputs: InputSource, sink: Callable[[dict], None], *,
                 http: Any = None, transfer_result: str = "connected",
                 transfer: Transferor | None = None, clock: Callable[[], datetime] | None = None,
                 environ: Mapping[str, str] = os.environ, rng: random.Random | None = None,
                 tasks: TaskQueue | None = None, scripts: ScriptPool | None = None,
                 bots: BotLookup | None = None,
                 responses: ResponseLookup | None = None,
                 recorder: Recorder | None = None,
                 recordings: RecordingStore | None = None,
                 eta: Callable[[str, datetime], str | None] | None = None) -> None:
        self.channel = channel.name
        self._channel = channel
        self._inputs = inputs
        self._sink = sink
        self._http = http
        self._transfer_result = transfer_result
        self._transfer = transfer  # None: every transfer answers transfer_result (simulator)
        self._clock = clock
        self._environ = environ
        self._rng = rng  # None: the module's generator (seeding one per turn costs more than the turn)
        self._secrets: set[str] = set()
        self._tasks = tasks  # None: queueing work is an error (a bare host in a test)
        self._scripts = scripts  # None: the process-wide pool (a bare host in a test)
        self._bots = bots  # None: no bots (a bare host in a test)
        self._responses = responses  # None: responses stay names (a bare host in a test)
        self._recorder = recorder  # None: this channel cannot record (all but a voice call)
        self._recordings = recordings  # None: recordings are taken but kept nowhere (emulate)
        self._eta = eta  # None: templates have no {{ eta }} (no service levels)
        self.session: Session | None = None
        self.messages: list[str] = []
        # what the contact was told and answered this turn, for their timeline (runtime.contacts)
        self.exchanged: list[tuple[str, str]] = []

    def bind(self, session: Session) -> None:
        """Serve a session: its id, turn and step make the keys of the work its blocks queue."""
        self.session = session

    def parse_input(self, text: str) -> Input:
        """Return a raw answer typed by this host's channel."""
        return self._channel.parse_input(text)

    def emit(self, event: dict) -> None:
        event = self.scrub(event)
        kind = event.get("event")
        if kind == "say" or kind == "ask":
            text = event.get("text") if kind == "say" else event.get("prompt")
            if isinstance(text, str) and text and len(self.exchanged) < _MAX_EXCHANGED:
                self.exchanged.append(("out", text))
        self._sink(self._channel.render(event))

    async def receive(self, ask: dict) -> Input | None:
        answer = await self._inputs.next(ask)
        if answer is not None:
            self.heard(answer)
        self._sink(answer.event() if answer else {"event": "noinput", "block": ask["block"]})
        return answer

    def heard(self, answer: Input) -> None:
        """Keep what the contact answered for their timeline; keys pressed are not kept (PINs)."""
        if len(self.exchanged) < _MAX_EXCHANGED:
            text = "(keys pressed)" if answer.mode == "dtmf" else self.scrub(answer.text)
            self.exchanged.append(("in", text))

    async def http(self, request: HttpRequest) -> HttpResponse:
        if self._http is None:
            raise BlockError("outbound HTTP is not configured for this runtime")
        return await self._http.send(request)

    async def transfer(self, target: dict, timeout_s: float | None) -> str:
        if self._transfer is not None:
            return await self._transfer(target, timeout_s)
        return self._transfer_result

    async def record(self, prompt: str | None, *, max_s: float, beep: bool,
                     block: str) -> dict | None:
        taken = await self._recorder(max_s) if self._recorder is not None else None
        if taken is None:
            self._sink({"event": "noinput", "block": block})
            return None
        session = self.session
        if self._recordings is None or session is None:
            return {"recording": None, "seconds": round(taken.seconds, 3), "url": None}
        # a WAV file and a database row: never on the event loop that carries the calls' media
        row = await asyncio.to_thread(self._recordings.add, session_id=session.id,
                                      flow_id=session.flow_id, block=block,
                                      seconds=taken.seconds, pcm=taken.audio)
        return {"recording": row.id, "seconds": row.seconds, "url": row.url}

    async def enqueue(self, task: str, payload: dict, *, block: str, index: int) -> str:
        session = self.session
        if session is None:
            raise BlockError("cannot queue work: this host serves no session (Engine.run binds it)")
        key = f"{session.id}.{session.turns}.{session.steps}.{block}" + (f".{index}" if index else "")
        queue = self._tasks
        if queue is None:
            raise BlockError("cannot queue work: this host was given no task queue")
        # the queue may be Redis across the network: never block the turn's event loop on it
        return await asyncio.to_thread(queue, task, payload, key)

    async def run_script(self, code: str, *, vars: dict, contact: dict, input: Any,
                         timeout_ms: int) -> ScriptResult:
        result = await (self._scripts or shared_pool()).run_async(code, vars, contact, input, timeout_ms=timeout_ms,
                                               now=self.now())
        return ScriptResult(result["exit"], result["vars"], result["output"])

    async def evaluate(self, expression: str, scope: dict) -> Any:
        return await (self._scripts or shared_pool()).evaluate_async(expression, scope, now=self.now())

    def response(self, name: str, *, language: str, channel: str | None = None) -> dict | None:
        if self._responses is None:
            return None
        try:
            return self._responses(name, channel or self.channel, language)
        except UnknownResponse as exc:
            raise BlockError(str(exc)) from None

    async def classify(self, bot: str, text: str, *, language: str | None) -> Classification:
        found = self._bots(bot) if self._bots is not None else None
        if found is None:
            raise BlockError(f"no bot {bot!r} in the workspace (bots/{bot}.json)")
        return found.classify(text, language)

    def secret(self, name: str) -> str:
        value = self._environ.get(name)
        if value is None:
            raise BlockError(f"secret {name!r} is not set: set the environment variable {name}")
        if value:
            self._secrets.add(value)
        return value

    def scrub(self, value: Any) -> Any:
        """Return a value with every secret resolved in this session masked as `***`."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, "***")
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub(v) for v in value)
        return value

    def now(self) -> datetime:
        return self._clock() if self._clock else datetime.now(timezone.utc)

    def scope(self, ctx: Any) -> dict:
        scope = super().scope(ctx)
        if self._eta is not None:
            eta = self._eta(self.channel, self.now())
            if eta is not None:  # a channel with no service level leaves {{ eta }} empty
                scope["eta"] = eta
        return scope

    def random(self) -> float:
        return self._rng.random() if self._rng is not None else random.random()

    def log(self, message: str) -> None:
        self.messages.append(self.scrub(message))
