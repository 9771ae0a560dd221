"""The editor's simulator: sessions of a draft run a turn at a time, resumable in any process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from blocks.sdk import ConfigurationError, Input
from runtime.channels import channel_named
from runtime.media import TextToSpeech
from runtime.speech import Listening
from runtime.engine import Engine, Flow, InputSource, SessionHost, Turn, TurnInputs, compile_flow
from runtime.engine.threadloop import run_sync
from runtime.errors import InvalidFlow, SessionEnded, SessionNotFound
from runtime.runtime import Runtime
from runtime.sessions import Session
from runtime.validation import flow_id_problems
from runtime.workspace import Workspace

from .spoken import SPEECH
from .transcripts import Transcripts


def parse_now(text: str) -> datetime:
    """Return the moment of an ISO-8601 `--now` (UTC without an offset); raise ValueError."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def simulation_host(runtime: Runtime, channel: str, inputs: InputSource,
                    sink: Callable[[dict], None], now: datetime | None) -> SessionHost:
    """Return a host for a simulated turn: sends shown, not queued; transfers connect; `now` fixed."""
    clock = (lambda: now) if now is not None else None
    # the transcript shows what a `send` would queue; a simulation delivers nothing
    return runtime.host(channel, inputs, sink, clock=clock, tasks=lambda task, payload, key: key)


def simulated_session(engine: Engine, flow: Flow, channel: str, *, trigger_text: str | None,
                      vars: Mapping | None, sender: str | None, to: str | None,
                      now: datetime | None) -> Session:
    """Return a new session of a simulation, marked as one in its trigger with its fixed clock."""
    # `simulation` keeps it out of the executions list and away from the public chat API;
    # `now` is where a later turn, in any process, finds the clock the simulation was given
    trigger: dict[str, Any] = {"channel": channel, "from": sender, "to": to, "text": trigger_text,
                               "simulation": True}
    if now is not None:
        trigger["now"] = now.isoformat()
    contact = {k: v for k, v in (("from", sender), ("to", to)) if v is not None}
    return engine.new_session(flow, channel, trigger=trigger, contact=contact,
                              vars=dict(vars or {}))


class DraftVersions:
    """Where a simulation's engine finds flows: its draft by version, else the workspace's.

    A few compiled drafts are held per process; one this process has not compiled (or no longer
    holds) is compiled again from the kept versions, so memory does not grow with every draft.
    """

    def __init__(self, workspace: Workspace, size: int = 16) -> None:
        self.workspace = workspace
        self.size = size
        self._drafts: OrderedDict[tuple[str, str], Flow] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, flow: Flow) -> None:
        """Hold a compiled draft, letting go of the least recently used beyond `size`."""
        with self._lock:
            self._drafts[(flow.id, flow.version)] = flow
            self._drafts.move_to_end((flow.id, flow.version))
            while len(self._drafts) > self.size:
                self._drafts.popitem(last=False)

    def flow(self, flow_id: str, version: str | None = None) -> Flow:
        """Return a draft version, or the workspace's flow (subflows run their live version)."""
        if version is not None:
            with self._lock:
                held = self._drafts.get((flow_id, version))
                if held is not None:
                    self._drafts.move_to_end((flow_id, version))
                    return held
            kept = self.workspace.kept(flow_id, version)
            if kept is not None:
                self.add(kept)
                return kept
        return self.workspace.flow(flow_id, version)


@dataclass(slots=True)
class SimulatedTurn:
    """What a simulation shows after a turn: the turn's events, the path so far, how it stands."""

    session: Session
    events: list[dict]
    path: list[dict]
    vars: dict

    @property
    def ended(self) -> bool:
        """Return True when the simulated session has ended."""
        return self.session.status == "ended"


class Simulator:
    """Starts and continues simulated sessions of drafts on a runtime's stores.

    A draft is compiled and kept beside the live versions (`Workspace.keep`), its session in the
    runtime's session store, its steps in the execution log and its events in `Transcripts`:
    the next input may reach any process of the same workspace.
    """

    def __init__(self, runtime: Runtime, *, cached: int = 16) -> None:
        archive = runtime.workspace.archive
        if archive is None:
            raise ConfigurationError("the simulator keeps drafts beside the kept flow versions: "
                                     "open the runtime on a workspace folder (Runtime.open)")
        self.runtime = runtime
        self.drafts = DraftVersions(runtime.workspace, cached)
        # the runtime's stores and log, with a flow source that knows the drafts
        self.engine = Engine(self.drafts, runtime.sessions, runtime.executions)
        self.transcripts = Transcripts(Path(archive).parent / "simulations")

    def compile(self, flow_id: str, doc: Any) -> Flow:
        """Compile a draft with the workspace's flows (for subflows) and keep it; raise InvalidFlow."""
        mismatch = flow_id_problems(doc, Path(f"{flow_id}.json"))
        try:
            flow = compile_flow(doc, self.runtime.registry,
                                flows={**self.runtime.workspace.docs, flow_id: doc})
        except InvalidFlow as exc:
            if not mismatch:
                raise
            raise InvalidFlow(str(exc), sorted([*mismatch, *exc.problems],
                                               key=lambda p: (p.pointer, p.message))) from None
        if mismatch:
            raise InvalidFlow(f"flow {flow_id!r} cannot run: {mismatch[0]}", mismatch)
        self.runtime.workspace.keep(flow)
        self.drafts.add(flow)
        return flow

    def start(self, flow: Flow, channel: str, *, trigger_text: str | None = None,
              vars: Mapping | None = None, sender: str | None = None, to: str | None = None,
              now: datetime | None = None) -> SimulatedTurn:
        """Start a simulated session of a compiled draft and run it until it waits or ends."""
        self.transcripts.sweep()
        events: list[dict] = []
        session = simulated_session(self.engine, flow, channel, trigger_text=trigger_text,
                                    vars=vars, sender=sender, to=to, now=now)
        host = simulation_host(self.runtime, channel, TurnInputs(), events.append, now)
        run_sync(self.engine.run(session, host, Turn(session)))
        return self._answer(session, host, events)

    def send(self, session_id: str, text: str) -> SimulatedTurn:
        """Hand an input to the block a simulation waits in; "" is a wait with no answer."""
        session = self.session(session_id)
        if session.status == "ended":
            raise SessionEnded(f"simulation {session_id!r} has ended ({session.disposition})")
        events: list[dict] = []
        host = simulation_host(self.runtime, session.channel, TurnInputs(), events.append,
                               clock_of(session))
        answer = self._heard(session, text) if text != "" else None
        # the transcript shows the answer as `simulate` does (a chat turn's replies do not)
        events.append(answer.event() if answer else {"event": "noinput", "block": session.block})
        run_sync(self.engine.run(session, host, Turn(session), answer))
        return self._answer(session, host, events)

    def _heard(self, session: Session, text: str) -> Input | None:
        """Return an input as the waiting block hears it: on voice, `speech:TEXT` is spoken by
        the TTS and recognised against the grammar of the `ask` it answers (as `simulate`
        does; `audio:PATH` is not taken here: a path on the server is not the caller's)."""
        if session.channel != "voice" or not text.startswith(SPEECH):
            return channel_named(session.channel).parse_input(text)
        asks = [e for e in self.transcripts.read(session.id) if e.get("event") == "ask"]
        ask = asks[-1] if asks else {"kind": "text", "block": session.block}
        language = session.contact.get("language") or \
            self.drafts.flow(session.flow_id, session.flow_version).settings.get("language")
        space = self.runtime.workspace
        pcm = TextToSpeech.from_settings(space.settings).speak_sync(text[len(SPEECH):], language)
        return Listening(space.settings, space.root, space.bot).hear_recording(pcm.pcm, ask,
                                                                               language)

    def session(self, session_id: str) -> Session:
        """Return a simulated session; raise SessionNotFound for any other id."""
        session = self.runtime.sessions.get(session_id)
        if session is None or not session.trigger.get("simulation"):
            self.transcripts.forget(session_id)  # its session expired: nothing shows it again
            raise SessionNotFound(f"no simulation {session_id!r}")
        return session

    def events(self, session_id: str) -> list[dict]:
        """Return every event of a simulation so far."""
        return self.transcripts.read(session_id)

    def path(self, session_id: str) -> list[dict]:
        """Return the steps a simulation took, `{flow, block, exit}` each, from the execution log."""
        log = self.runtime.executions
        if log is None:
            return []
        # `steps` first writes what this process still holds: the next turn may run elsewhere
        return [{"flow": step["flow_id"], "block": step["block"], "exit": step["exit"]}
                for step in log.steps(session_id)]

    def _answer(self, session: Session, host: SessionHost, events: list[dict]) -> SimulatedTurn:
        """Keep a turn's events and return what the simulation shows after it."""
        self.transcripts.append(session.id, events)
        return SimulatedTurn(session, events, self.path(session.id), host.scrub(session.vars))


def clock_of(session: Session) -> datetime | None:
    """Return the moment a simulation's clock was fixed at, if it was."""
    now = session.trigger.get("now")
    return parse_now(now) if isinstance(now, str) else None
