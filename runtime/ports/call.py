"""A voice call: one session of a flow run by the engine over a connected port.

The engine and its host are the same as on every channel; only the input source and the sink
differ. `say`, `ask` and `record` prompts are queued as the engine emits them and played in order
before the call waits for keys, records, transfers or ends; an `ask` then collects DTMF by its
kind (a menu's keys, a digits answer's length and terminator), a `record` beeps and records. A
caller who hangs up ends the session with disposition `caller_hangup` from whatever subflow it is in.
The port is hung up at the end.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from blocks.sdk import CALLER_HANGUP, EndSession, Input
from runtime.engine import (Engine, Flow, FlowSource, InputSource, Recorder, SessionHost,
                            Transferor, Turn)
from runtime.sessions import Session
from runtime.speech import Grammar, Listening

from .port import CallerHungUp, CallInfo, Port, PortError, Recording


class CallRunner(Protocol):
    """What a call needs of the runtime: its live flows, its engine and a host for a turn."""

    workspace: FlowSource
    engine: Engine

    def host(self, channel: str, inputs: InputSource, sink: Callable[[dict], None], *,
             clock: Callable[[], datetime] | None = None,
             tasks: Callable[[str, dict, str], str] | None = None,
             transfer: Transferor | None = None,
             recorder: Recorder | None = None) -> SessionHost:
        """Return a host for one turn on a channel."""


log = logging.getLogger(__name__)
INTER_DIGIT_S = 3.0  # the wait for each next key once the caller has started typing
MAX_KEYS = 32  # keys collected for an answer of no stated length
_HEARD = frozenset({"say", "ask", "record", "transfer"})  # what needs a caller on the line
# the tone before a recording; it plays whole even when the caller has pressed a key
BEEP = {"tone": 1000, "duration_s": 0.25, "barge_in": False}


class VoiceCall(InputSource):
    """The port's side of a session: plays prompts, collects keys, carries out transfers."""

    def __init__(self, port: Port, *, on_event: Callable[[dict], None] | None = None,
                 inter_digit_s: float = INTER_DIGIT_S,
                 language: Callable[[], str | None] = lambda: None,
                 listening: Listening | None = None) -> None:
        self.port = port
        self.listening = listening  # None: keys only
        self.inter_digit_s = inter_digit_s
        self.language = language  # the session's, asked as each prompt is queued
        self._on_event = on_event
        self._prompts: deque[dict] = deque()

    def emit(self, event: dict) -> None:
        """Take an event from the host: queue what the caller hears; a gone caller ends it all."""
        kind = event["event"]
        if kind in _HEARD and not self.port.connected:
            raise EndSession(CALLER_HANGUP)
        if self._on_event is not None:
            self._on_event(event)
        if kind == "say":
            if event.get("speak"):
                self._prompts.append(self._spoken({"text": event["speak"]}))
            elif event.get("play"):
                self._prompts.append({"audio": event["play"]})
        elif kind == "ask":
            self._prompts.append(self._spoken({"text": event.get("speak") or "",
                                               "input": wanted(event)}))
        elif kind == "record":
            if event.get("speak"):
                self._prompts.append(self._spoken({"text": event["speak"]}))
            if event.get("beep", True):
                self._prompts.append(dict(BEEP))

    def _spoken(self, prompt: dict) -> dict:
        """Say in which language a text prompt is spoken, when the session has one."""
        language = self.language()
        if language:
            prompt["language"] = language
        return prompt

    async def next(self, ask: dict) -> Input | None:
        """Play what is queued, then collect the answer's keys or speech; None when none came."""
        language = self.language()
        spoken = self._grammar_of(ask, language)
        check = None
        try:
            if spoken:
                self.port.listen()  # before the prompts: speech stops them (barge-in)
                # asked of a worker process while the prompts play (the first may be starting)
                check = asyncio.ensure_future(self.listening.unavailable(spoken))  # type: ignore[union-attr]
            await self._play_queued()
            if check is not None and (why := await check) is not None:
                # the configuration says why; callers press keys
                log.warning("speech is not heard in %r: %s", spoken.language, why)  # type: ignore[union-attr]
                self.port.stop_listening()
                spoken = None
            if not spoken:
                keys = await self.port.get_digits(**collection(ask, self.inter_digit_s))
                return Input(keys, "dtmf") if keys else None
            got = await self.port.hear(**collection(ask, self.inter_digit_s))
        except CallerHungUp:
            raise EndSession(CALLER_HANGUP) from None
        finally:
            if check is not None and not check.done():
                check.cancel()
        if got is None:
            return None
        mode, value = got
        if mode == "dtmf":
            return Input(value, "dtmf")  # type: ignore[arg-type]
        # in a worker process: this loop paces every call's audio (runtime/speech/workers.py)
        return await self.listening.hear_async(value, ask, language)  # type: ignore[union-attr,arg-type]

    def _grammar_of(self, ask: dict, language: str | None) -> Grammar | None:
        """Return what this wait takes as speech: None for keys only (no grammar, or a port
        that does not listen)."""
        if self.listening is None or not self.port.listens:
            return None
        return self.listening.grammar(ask, language)

    async def transfer(self, target: dict, timeout_s: float | None) -> str:
        """Play what is queued, then transfer the call; return the port's outcome."""
        try:
            await self._play_queued()
            return await self.port.transfer(target, timeout_s)
        except CallerHungUp:
            raise EndSession(CALLER_HANGUP) from None

    async def record(self, max_s: float) -> Recording | None:
        """Play what is queued (the prompt, the beep), then record; None when nothing was taken.

        Nothing is 0 seconds, or no audio at all from a port that keeps audio (no packet came).
        """
        try:
            await self._play_queued()
            taken = await self.port.record(max_s)
        except CallerHungUp:
            raise EndSession(CALLER_HANGUP) from None
        if taken.seconds <= 0 or (self.port.keeps_audio and not taken.audio):
            return None
        return taken

    async def finish(self) -> None:
        """Play the last prompts (a goodbye) to a caller still there, then hang up."""
        try:
            if self.port.connected:
                await self._play_queued()
        except CallerHungUp:
            pass
        finally:
            self._prompts.clear()
            await self.port.hangup()

    async def _play_queued(self) -> None:
        prompts = self._prompts
        while prompts:
            await self.port.play(prompts.popleft())


def wanted(ask: dict) -> dict:
    """Return what an ask event asks the caller for, as a port prompt's `input`."""
    kind = ask.get("kind", "text")
    if kind == "choice":
        return {"kind": kind, "keys": [str(c.get("key", "")) for c in ask.get("choices") or ()]}
    found = {"kind": kind, "terminator": ask.get("terminator", "#")}
    if ask.get("max_length"):
        found["max_length"] = ask["max_length"]
    return found


def collection(ask: dict, inter_digit_s: float = INTER_DIGIT_S) -> dict:
    """Return the `get_digits` arguments that collect the answer to an ask event."""
    timeout_s = float(ask.get("timeout_s") or 5)
    if ask.get("kind") == "choice":
        keys = [str(c.get("key", "")) for c in ask.get("choices") or ()]
        longest = max((len(k) for k in keys), default=1) or 1
        # one-key menus take the key at once; longer keys end with # or a pause
        ends = "" if longest == 1 or any("#" in k for k in keys) else "#"
        return {"max_digits": longest + len(ends), "timeout_s": timeout_s,
                "inter_digit_s": inter_digit_s, "terminators": ends}
    ends = ask.get("terminator", "#")
    longest = ask.get("max_length") or MAX_KEYS
    # room for the terminator after a full answer, so it never lingers as type-ahead
    return {"max_digits": longest + len(ends), "timeout_s": timeout_s,
            "inter_digit_s": inter_digit_s, "terminators": ends}


def addresses(call: CallInfo) -> tuple[dict, dict]:
    """Return the trigger and contact of a call: `contact.from` is always the other party."""
    if call.direction == "outbound":
        trigger = {"channel": "voice", "from": call.caller or None, "to": call.called,
                   "text": None, "direction": "outbound"}
        contact = {"from": call.called, "to": call.caller}
    else:
        trigger = {"channel": "voice", "from": call.caller or None, "to": call.called or None,
                   "text": None}
        contact = {"from": call.caller, "to": call.called}
    return trigger, {k: v for k, v in contact.items() if v}


async def run_call(runtime: CallRunner, flow: Flow | str, port: Port, *, vars: dict | None = None,
                   clock: Callable[[], datetime] | None = None,
                   on_event: Callable[[dict], None] | None = None,
                   tasks: Callable[[str, dict, str], str] | None = None,
                   inter_digit_s: float = INTER_DIGIT_S,
                   session: Session | None = None) -> Session:
    """Run one session of a flow over a connected port, then hang up; return the ended session.

    `flow` is a compiled flow or the id of a live one; `clock` fixes the calendar the flow
    sees (`hours`), `on_event` receives the transcript's events, `tasks` replaces the
    background queue (as in `Runtime.host`). `session` runs a session made beforehand (an
    outbound call queued with its trigger, contact and variables) instead of a new one.
    """
    if not port.connected:
        raise PortError(f"{port.id}: a call runs on a connected port, not one in {port.state!r}")
    if isinstance(flow, str):
        flow = runtime.workspace.flow(flow, session.flow_version if session else None)
    space = runtime.workspace
    settings = getattr(space, "settings", None)
    listening = (Listening(settings, getattr(space, "root", None),
                           getattr(space, "bot", None)).in_workers()
                 if settings is not None and port.listens else None)
    voice = VoiceCall(port, on_event=on_event, inter_digit_s=inter_digit_s, listening=listening)
    host = runtime.host("voice", voice, voice.emit, clock=clock, tasks=tasks,
                        transfer=voice.transfer, recorder=voice.record)
    if session is None:
        trigger, contact = addresses(port.call or CallInfo("inbound"))
        session = runtime.engine.new_session(flow, "voice", trigger=trigger, contact=contact,
                                             vars=vars)
    flow_language = flow.settings.get("language")
    voice.language = lambda: session.contact.get("language") or flow_language
    try:
        await runtime.engine.run(session, host, Turn(session))
    finally:
        await voice.finish()
    return session
