"""The engine: runs a session through its flow's blocks until the session waits or ends."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from blocks.sdk import (CALLER_HANGUP, Context, EndSession, EnterSubflow, Input, Suspend,
                        undeclared_exit)
from runtime.errors import FlowNotFound
from runtime.sessions import SessionStore
from runtime.sessions.session import Frame, Session

from .compiled import Flow, Node
from .session_host import SessionHost

log = logging.getLogger(__name__)
_NO_ANSWER = object()
# a connected transfer hands the contact over and a caller who hangs up is gone: either leaves
# every subflow level, not just one
_LEAVES_ALL_LEVELS = frozenset({"transferred", CALLER_HANGUP})
# a long turn hands its steps to the log in chunks, so it never holds an unbounded list
_STEP_CHUNK = 1024


class FlowSource(Protocol):
    """Where the engine finds flows: the live version, or the version a session started on."""

    def flow(self, flow_id: str, version: str | None = None) -> Flow: ...


class StepLog(Protocol):
    """Where the steps of each turn are recorded (the execution log)."""

    def record(self, session: Session, steps: list[tuple]) -> None: ...


class ContactHook(Protocol):
    """Who a session is with (runtime.contacts.ContactBook): told when one starts and each turn."""

    def opened(self, session: Session) -> None:
        """Link a new session to its contact and fill `session.contact` with what is known."""

    def turned(self, session: Session, exchanged: list[tuple[str, str]]) -> None:
        """Record a turn's messages ("in"/"out", text) and outcome on the contact's timeline."""

    def needs_store(self, session: Session, starting: bool) -> bool:
        """Say whether `opened` (starting) or `turned` would read or write the store now."""


async def _told(hook: Callable[..., None], blocking: bool, *args: Any) -> None:
    """Call a contact hook: on a thread when it goes to the store (a database round trip never
    runs on the loop that carries other calls' media), else here (a thread hop costs more)."""
    if blocking:
        await asyncio.to_thread(hook, *args)
    else:
        hook(*args)


@dataclass(slots=True)
class Turn:
    """What one run of the engine did: its events, its steps and how the session stands."""

    session: Session
    events: list[dict] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        """Return True when the session has ended."""
        return self.session.status == "ended"


class Engine:
    """Interprets flows: one step per block, limits enforced, errors routed to `error` exits."""

    def __init__(self, flows: FlowSource, sessions: SessionStore,
                 steps: StepLog | None = None, contacts: ContactHook | None = None) -> None:
        self.flows = flows
        self.sessions = sessions
        self.step_log = steps
        self.contacts = contacts

    def new_session(self, flow: Flow, channel: str, *, trigger: dict,
                    contact: dict | None = None, vars: dict | None = None) -> Session:
        """Return a new session at the flow's start, with its variables' initial values."""
        return Session(id=Session.new_id(), flow_id=flow.id, flow_version=flow.version,
                       channel=channel, block=flow.start,
                       vars={**flow.variables, **(vars or {})},
                       contact=dict(contact or {}), trigger=trigger)

    async def run(self, session: Session, host: SessionHost, turn: Turn,
                  answer: Input | None | object = _NO_ANSWER) -> Turn:
        """Run until the session waits or ends, then save it; `answer` resumes a waiting block."""
        flow = self.flows.flow(session.flow_id, session.flow_version)
        host.bind(session)
        contacts = self.contacts
        if contacts is not None and session.turns == 0:
            await _told(contacts.opened, contacts.needs_store(session, True), session)
        ctx = Context(host, vars=session.vars, contact=session.contact,
                      trigger=session.trigger, settings=flow.settings)
        resumed = answer is not _NO_ANSWER
        if resumed:
            ctx.resume_with(answer)  # type: ignore[arg-type]
            if contacts is not None and isinstance(answer, Input):
                host.heard(answer)
        session.status = "running"
        session.turns += 1
        try:
            await self._loop(session, flow, ctx, host, turn, resumed)
        finally:
            if contacts is not None:  # before the save: a merge may change the contact's id
                await _told(contacts.turned, contacts.needs_store(session, False), session,
                            host.exchanged)
            await self.sessions.from_loop(self.sessions.save, session)
            self._hand_over(session, turn)
        return turn

    def _hand_over(self, session: Session, turn: Turn) -> None:
        """Give the turn's steps so far to the execution log."""
        if self.step_log is not None and turn.steps:
            self.step_log.record(session, turn.steps)
        turn.steps = []

    async def _loop(self, session: Session, flow: Flow, ctx: Context, host: SessionHost,
                    turn: Turn, resumed: bool = False) -> None:
        steps = turn.steps
        max_steps = flow.settings["max_steps"]
        deadline = session.started_at + flow.settings["max_session_s"]
        block_timeout = flow.settings["block_timeout_s"]
        clock = time.perf_counter
        nodes = flow.nodes
        while True:
            node = nodes.get(session.block)
            if node is None:  # waiting in a version that is not kept, in a block since removed
                return self._lost(session, flow, ctx, steps)
            if not resumed and session.steps >= max_steps:
                return self._limit(session, node, ctx, f"max_steps ({max_steps}) reached", "max_steps")
            if time.time() > deadline:
                return self._limit(session, node, ctx, "max_session_s reached", "max_session_time")
            if resumed:
                # a block re-run with the answer it waited for goes on with the step it began: a
                # menu is one step whether its answer comes in the same run (voice, simulate) or
                # in the next chat turn
                resumed = False
            else:
                session.steps += 1
            started = clock()
            error = None
            try:
                ctx.block_id = node.id  # a config that fails to render fails at this block
                config = node.template.render(host.scope(ctx), host.secret) \
                    if not node.template.static else node.template.config
                ctx.enter(node.id, config, session.state)
                if node.guarded:
                    async with asyncio.timeout(block_timeout):
                        exit_name = await node.block.run(ctx)
                else:
                    exit_name = await node.block.run(ctx)
                if node.known_exits is not None and exit_name not in node.known_exits:
                    raise undeclared_exit(exit_name)
            except Suspend:
                session.status = "waiting"
                steps.append((flow.id, node.id, None, clock() - started, host.scrub(ctx.changes), None))
                return
            except EnterSubflow as call:
                steps.append((flow.id, node.id, "subflow", clock() - started, host.scrub(ctx.changes), None))
                flow = self._enter(session, flow, node, call, ctx)
                nodes, max_steps = flow.nodes, flow.settings["max_steps"]
                continue
            except EndSession as end:
                steps.append((flow.id, node.id, None, clock() - started, host.scrub(ctx.changes), None))
                flow = self._finish(session, flow, node, ctx, end.disposition)
                if flow is None:
                    return
                nodes = flow.nodes
                continue
            except Exception as exc:  # a block's failure takes its error exit, by contract
                exit_name = "error"
                error = host.scrub(str(exc) or type(exc).__name__)
                log.debug("block %s/%s failed", flow.id, node.id, exc_info=True)
                ctx.emit("error", message=error)
            if host.messages:
                error = "\n".join(filter(None, [error, *host.messages]))
                host.messages.clear()
            steps.append((flow.id, node.id, exit_name, clock() - started,
                          host.scrub(ctx.changes), error))
            if len(steps) >= _STEP_CHUNK:
                self._hand_over(session, turn)
                steps = turn.steps
            target = node.exits.get(exit_name)
            if target is None:  # an unconnected exit ends the (sub)flow with its name
                flow = self._finish(session, flow, node, ctx, exit_name)
                if flow is None:
                    return
                nodes = flow.nodes
                continue
            session.block = target
            session.state = {}

    def _enter(self, session: Session, flow: Flow, node: Node, call: EnterSubflow,
               ctx: Context) -> Flow:
        """Push the caller's frame and start the called flow; a bad call takes `error`."""
        try:
            if len(session.frames) >= flow.settings["max_subflow_depth"]:
                raise RecursionError(f"subflow depth limit {flow.settings['max_subflow_depth']} reached")
            child = self.flows.flow(call.flow)
        except (FlowNotFound, RecursionError) as exc:
            session.state = {"subflow_result": {"outputs": {}, "disposition": "error",
                                                "error": str(exc)}}
            return flow
        session.frames.append(Frame(flow.id, flow.version, node.id, session.state, session.vars))
        session.flow_id, session.flow_version = child.id, child.version
        session.block, session.state = child.start, {}
        session.vars = {**child.variables, **call.inputs}
        ctx.vars, ctx.settings = session.vars, child.settings
        return child

    def _finish(self, session: Session, flow: Flow, node: Node, ctx: Context,
                disposition: str) -> Flow | None:
        """End the session, or return from a subflow to its caller; return the flow to go on with."""
        if session.frames and disposition not in _LEAVES_ALL_LEVELS:
            frame = session.frames.pop()
            names = flow.outputs if flow.outputs is not None else tuple(session.vars)
            outputs = {name: session.vars.get(name) for name in names}
            caller = self.flows.flow(frame.flow_id, frame.flow_version)
            session.flow_id, session.flow_version = caller.id, caller.version
            session.block, session.vars = frame.block, frame.vars
            session.state = {**frame.state,
                             "subflow_result": {"outputs": outputs, "disposition": disposition}}
            ctx.vars, ctx.settings = session.vars, caller.settings
            return caller
        session.frames.clear()
        session.status = "ended"
        session.disposition = disposition
        session.block = node.id
        ctx.host.emit({"event": "end", "block": node.id, "disposition": disposition,
                       "steps": session.steps})
        return None

    def _lost(self, session: Session, flow: Flow, ctx: Context, steps: list[tuple]) -> None:
        """End a session whose block its flow no longer has, saying which block it was."""
        block = session.block
        message = (f"flow {flow.id} version {flow.version} has no block {block!r}, where this "
                   f"session waited: the version it started in is no longer kept")
        ctx.host.emit({"event": "error", "block": block, "message": message})
        steps.append((flow.id, block, None, 0.0, {}, message))  # the operator's record of it
        session.frames.clear()
        session.status, session.disposition = "ended", "flow_changed"
        ctx.host.emit({"event": "end", "block": block, "disposition": "flow_changed",
                       "steps": session.steps})

    def _limit(self, session: Session, node: Node, ctx: Context, reason: str,
               disposition: str) -> None:
        """End a runaway session with a disposition that says which limit stopped it."""
        ctx.host.emit({"event": "error", "block": node.id, "message": reason})
        session.frames.clear()
        self._finish(session, self.flows.flow(session.flow_id, session.flow_version), node, ctx,
                     disposition)
