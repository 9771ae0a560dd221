"""A harness for running one block in tests, for Callwright's own blocks and partners' alike.

    from blocks.sdk.testing import run_block
    result = run_block(MenuBlock, {"prompt": "...", "options": [...]}, inputs=["1"])
    assert result.exit == "balance"

It runs the block through the same `Context` and config templating the engine uses, against a
scripted host: inputs are consumed in order (None or "" is a wait with no answer; when they run
out every wait is a noinput), HTTP answers come from a function you give, transfers return the
status you give, a `record` takes the seconds you give (`recording=`; 0, or a channel other
than voice, records nothing), and the clock is the one you fix. As in the engine, a failure takes
the `error` exit with its message in `result.error`, and so does an exit the block does not
declare for this config (`exits_for(config)`): a green test means the engine takes the same exit.
Queued work (`ctx.enqueue`) is recorded in `result.enqueued` as {task, payload, key}; pass
`enqueue=` a function of (task, payload) that raises to script a queue that refuses it. Bots
answer through `classify=`, a function of (bot, text, language) returning a `Classification`; an
intent it returned counts as a declared exit of a block whose manifest has `intent_exits`. Named
responses stay names unless `responses=` maps `set/name` to its content for the test's channel
and language (`{"text": "Hello {{ vars.name }}"}`), which `ctx.say` then renders; `ctx.response`
gives that content whatever channel it asks for, and a `send` of a named response needs it.

Waiting blocks are tested across turns as chat runs them: `suspend=True` makes every wait end
the turn (`result.waiting`), and the next turn passes the saved `state=result.state` and the
answer as `resume=` — the block re-runs from its start, as the engine re-runs it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterable

from .block import Block, undeclared_exit
from .context import Context
from .errors import BlockError, EndSession, EnterSubflow, Suspend
from .host import Classification, Host, HttpRequest, HttpResponse, Input
from .templates import ConfigTemplate


_NOTHING = object()


@dataclass
class BlockResult:
    """What a block did: the exit it took (None when it ended the session) and what it emitted."""

    exit: str | None
    events: list[dict]
    vars: dict
    contact: dict
    state: dict
    disposition: str | None = None
    error: str | None = None
    requests: list[HttpRequest] = field(default_factory=list)
    waiting: bool = False
    enqueued: list[dict] = field(default_factory=list)

    def of(self, event: str) -> list[dict]:
        """Return the emitted events of one kind (`say`, `ask`, ...)."""
        return [e for e in self.events if e["event"] == event]


class ScriptedHost(Host):
    """A host whose world is scripted by the test."""

    def __init__(self, *, channel: str, inputs: Iterable[Any], http: Callable | None,
                 transfer: str, now: datetime | None, random_values: Iterable[float] | None,
                 secrets: dict[str, str] | None, suspend: bool = False,
                 enqueue: Callable[[str, dict], Any] | None = None,
                 classify: Callable[[str, str, str | None], Classification] | None = None,
                 responses: dict[str, dict] | None = None, recording: float = 0.0) -> None:
        self.channel = channel
        self._recording = recording
        self._responses = responses
        self._classify = classify
        self.intents: set[str] = set()  # the intents classify returned
        self._suspend = suspend
        self.events: list[dict] = []
        self.requests: list[HttpRequest] = []
        self.enqueued: list[dict] = []
        self._enqueue = enqueue
        self._inputs = [_as_input(i, channel) for i in inputs]
        self._http = http
        self._transfer = transfer
        self._now = now or datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
        self._random = list(random_values or [])
        self._secrets = secrets or {}

    def emit(self, event: dict) -> None:
        self.events.append(event)

    async def receive(self, ask: dict) -> Input | None:
        if self._suspend:
            raise Suspend()
        answer = self._inputs.pop(0) if self._inputs else None
        self.events.append(answer.event() if answer else {"event": "noinput", "block": ask["block"]})
        return answer

    async def http(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if self._http is None:
            raise BlockError("no HTTP answer scripted for this test")
        answer = self._http(request)
        if isinstance(answer, Awaitable):
            answer = await answer
        return answer

    async def transfer(self, target: dict, timeout_s: float | None) -> str:
        return self._transfer

    async def record(self, prompt: str | None, *, max_s: float, beep: bool,
                     block: str) -> dict | None:
        seconds = min(self._recording, max_s)
        if self.channel != "voice" or seconds <= 0:
            self.events.append({"event": "noinput", "block": block})
            return None
        # the id a records database would give, made of the block so tests can name it
        return {"recording": f"rec-{block}", "seconds": seconds,
                "url": f"/api/v1/recordings/rec-{block}/audio"}

    async def enqueue(self, task: str, payload: dict, *, block: str, index: int) -> str:
        if self._enqueue is not None:
            self._enqueue(task, payload)
        key = f"test.1.1.{block}" + (f".{index}" if index else "")
        self.enqueued.append({"task": task, "payload": payload, "key": key})
        return key

    def response(self, name: str, *, language: str, channel: str | None = None) -> dict | None:
        if self._responses is None:
            return None
        if name not in self._responses:
            raise BlockError(f"no response {name!r} scripted for this test")
        return dict(self._responses[name])

    async def classify(self, bot: str, text: str, *, language: str | None) -> Classification:
        if self._classify is None:
            raise BlockError(f"no bot {bot!r} scripted for this test: pass classify=")
        result = self._classify(bot, text, language)
        if result.intent is not None:
            self.intents.add(result.intent)
        return result

    def now(self) -> datetime:
        return self._now

    def random(self) -> float:
        return self._random.pop(0) if self._random else 0.5

    def secret(self, name: str) -> str:
        if name not in self._secrets:
            raise BlockError(f"secret {name!r} is not set")
        return self._secrets[name]


def _as_input(value: Any, channel: str) -> Input | None:
    if value is None or value == "":
        return None
    if isinstance(value, Input):
        return value
    text = str(value)
    is_dtmf = channel == "voice" and all(c in "0123456789*#" for c in text)
    return Input(text, "dtmf" if is_dtmf else ("speech" if channel == "voice" else "text"))


def run_block(block: type[Block], config: dict, *, inputs: Iterable[Any] = (),
              vars: dict | None = None, contact: dict | None = None, trigger: dict | None = None,
              channel: str = "chat", http: Callable | None = None, transfer: str = "connected",
              now: datetime | None = None, random_values: Iterable[float] | None = None,
              secrets: dict[str, str] | None = None, subflow_result: dict | None = None,
              settings: dict | None = None, block_id: str = "block",
              state: dict | None = None, suspend: bool = False,
              resume: Any = _NOTHING,
              enqueue: Callable[[str, dict], Any] | None = None,
              classify: Callable[[str, str, str | None], Classification] | None = None,
              responses: dict[str, dict] | None = None,
              recording: float = 0.0) -> BlockResult:
    """Run one block once with a scripted world and return what it did."""
    host = ScriptedHost(channel=channel, inputs=inputs, http=http, transfer=transfer, now=now,
                        random_values=random_values, secrets=secrets, suspend=suspend,
                        enqueue=enqueue, classify=classify, responses=responses,
                        recording=recording)
    ctx = Context(host, vars=dict(vars or {}), contact=dict(contact or {}),
                  trigger=dict(trigger or {"channel": channel}), settings=settings or {})
    # a saved state went through JSON, as the engine saves it
    state = json.loads(json.dumps(state or {}))
    if subflow_result is not None:
        state["subflow_result"] = subflow_result
    exit_name: str | None = None
    disposition = error = None
    waiting = False
    try:
        rendered = ConfigTemplate(config, tuple(block.manifest.get("raw_fields", ()))).render(
            host.scope(ctx), host.secret)
        ctx.enter(block_id, rendered, state)
        if resume is not _NOTHING:
            ctx.resume_with(_as_input(resume, channel))
        exit_name = asyncio.run(block(block_id, rendered).run(ctx))
        declared = block.exits_for(config)
        if block.manifest.get("intent_exits"):
            declared = [*declared, *host.intents]
        if exit_name not in declared:  # the engine refuses it the same way
            raise undeclared_exit(exit_name)
    except Suspend:
        waiting = True
    except EndSession as end:
        disposition = end.disposition
    except EnterSubflow as call:
        raise AssertionError(f"the block entered subflow {call.flow!r}: pass subflow_result=") from None
    except Exception as exc:  # the engine routes any block failure to `error`; so does the harness
        exit_name, error = "error", str(exc)
    return BlockResult(exit=exit_name, events=host.events, vars=ctx.vars, contact=ctx.contact,
                       state=state, disposition=disposition, error=error, requests=host.requests,
                       waiting=waiting, enqueued=host.enqueued)
