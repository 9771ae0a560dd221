"""What a block's context needs from whatever runs it: the engine, or a test harness."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Input:
    """One answer to an `ask`: typed text, DTMF digits or recognised speech."""

    text: str
    mode: str = "text"  # "text", "dtmf" or "speech"
    confidence: float | None = None

    def event(self) -> dict:
        """Return the transcript event of this input."""
        event: dict[str, Any] = {"event": "input", "text": self.text, "mode": self.mode}
        if self.confidence is not None:
            event["confidence"] = self.confidence
        return event


@dataclass(slots=True)
class HttpRequest:
    """An outbound HTTP request a block asks for."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    body: str | None = None
    timeout_s: float = 10.0


@dataclass(slots=True)
class HttpResponse:
    """The answer to an `HttpRequest`; `body` is parsed JSON when the response is JSON."""

    status: int
    headers: dict[str, str]
    body: Any

    def as_dict(self) -> dict:
        """Return the JSON-able form stored in flow variables."""
        return {"status": self.status, "headers": self.headers, "body": self.body}


@dataclass(frozen=True, slots=True)
class Classification:
    """What a bot made of a message: its best intent (None when none came near) and the rest."""

    intent: str | None
    confidence: float  # in [0, 1], calibrated to mean the same for every bot
    text: str  # the message as classified (capped in length)
    language: str | None  # the message's language (a primary subtag: `en`, `ru`), if it has one
    entities: dict[str, Any] = field(default_factory=dict)
    response: str | None = None  # the intent's auto-response (`set/name`), if it has one
    min_confidence: float = 0.5  # the bot's own threshold
    declared: bool = True  # False when the message is in a language the bot does not declare

    def as_dict(self) -> dict:
        """Return the JSON form a `bot` block stores in its variable."""
        return {"intent": self.intent, "confidence": self.confidence, "entities": self.entities,
                "text": self.text, "language": self.language}


@dataclass(slots=True)
class ScriptResult:
    """What a script did: the exit it returned (or None), the variables after it, what it printed."""

    exit: str | None
    vars: dict
    output: str = ""


class Host:
    """The world as a block sees it, through its context.

    The engine implements one host per session; `blocks.sdk.testing` implements a scripted one.
    Every method is called only by `Context`; blocks never see the host.
    """

    channel: str = "chat"

    def emit(self, event: dict) -> None:
        """Deliver a channel-neutral action (`say`, `ask`, `transfer`, ...) to the channel."""
        raise NotImplementedError

    async def receive(self, ask: dict) -> Input | None:
        """Wait for the answer to `ask`; None when the wait timed out with no input (noinput).

        Raise `Suspend` when the answer comes later in another turn (chat, messaging).
        """
        raise NotImplementedError

    async def http(self, request: HttpRequest) -> HttpResponse:
        """Send an outbound HTTP request under the workspace's network policy.

        Raise `TimeoutError` when the target is too slow and `BlockError` when it cannot be reached
        or the policy refuses it.
        """
        raise NotImplementedError

    async def transfer(self, target: dict, timeout_s: float | None) -> str:
        """Transfer the contact; return `connected`, `busy`, `noanswer` or `failed`."""
        raise NotImplementedError

    async def record(self, prompt: str | None, *, max_s: float, beep: bool,
                     block: str) -> dict | None:
        """Record the contact after the `record` action was emitted; None when nothing was taken.

        The channel plays `prompt` (already emitted with the action), a short tone when `beep`,
        then records for at most `max_s` seconds. Return `{"recording": id, "seconds": s,
        "url": path of its audio in the API}` (id and url are None where no records database
        keeps it), or None when the contact said nothing (0 seconds) or the channel cannot
        record at all (every channel but voice). Raise `EndSession(CALLER_HANGUP)` when the contact
        hangs up meanwhile. `block` is the recording block's id, kept with the recording.
        """
        raise NotImplementedError

    async def enqueue(self, task: str, payload: dict, *, block: str, index: int) -> str:
        """Queue background work (`send`: a message) and return its idempotency key.

        The work runs later, in a worker; the block does not wait for it. The key names the
        session, its turn and step, the block and `index` (the block's n-th enqueue in this
        step, from 0), so running the same step again (a turn replayed after a crash, a
        redelivered message) gives the same key, and the work is done once. `payload` holds
        only JSON values.

        Raise `BlockError` when the task is unknown or its payload cannot be carried out,
        `ConfigurationError` when the product is not configured for it, and an error naming
        the queue when the queue cannot take work now.
        """
        raise NotImplementedError

    def scope(self, ctx: Any) -> dict:
        """Return the names templates see: `vars`, `contact`, `trigger`, `language` (the
        session's: the contact's, else the flow's setting) and the host's extras."""
        return {"vars": ctx.vars, "contact": ctx.contact, "trigger": ctx.trigger,
                "language": ctx.language}

    async def run_script(self, code: str, *, vars: dict, contact: dict, input: Any,
                         timeout_ms: int) -> ScriptResult:
        """Run sandboxed script code (RestrictedPython) with JSON-able copies of the data.

        Raise `BlockError` naming the limit hit (CPU time, memory, wall clock, output size) or
        the script's own error with its line.
        """
        raise NotImplementedError

    async def evaluate(self, expression: str, scope: dict) -> Any:
        """Evaluate a sandboxed expression (an `expr` condition) and return its JSON-able value."""
        raise NotImplementedError

    def secret(self, name: str) -> str:
        """Return the value of a `{"$secret": NAME}` reference; raise `BlockError` when unset."""
        raise NotImplementedError

    def response(self, name: str, *, language: str, channel: str | None = None) -> dict | None:
        """Return the content of a named response (`set/name`) for a channel and a language.

        `channel` is the one the content goes out on: this session's when None, another for a
        message sent elsewhere (a `send` of a voice session to SMS). The content is the winning
        variant's fields (`text`, `audio`, `subject`, `html`, `quick_replies`) from the live
        responses library, texts still templates; a text channel passes by variants that have
        no text. None when this host does not resolve responses (then a said action names the
        response only). Raise `BlockError` when the workspace has no such response.
        """
        return None

    async def classify(self, bot: str, text: str, *, language: str | None) -> Classification:
        """Classify a message with a bot of the workspace (`bots/<bot>.json`), offline.

        `language` is the session's language, used for a message with no letters in it. The
        bot's index is built once per bot version, never per message; a message is capped in
        length, so an empty or huge one is answered at once (no intent, confidence 0).
        Raise `BlockError` when the workspace has no such bot.
        """
        raise NotImplementedError

    def now(self) -> datetime:
        """Return the current time, timezone-aware (fixed by `simulate --now`)."""
        raise NotImplementedError

    def random(self) -> float:
        """Return a uniform random number in [0, 1)."""
        return random.random()

    def log(self, message: str) -> None:
        """Add a message to the current step's log entry."""
