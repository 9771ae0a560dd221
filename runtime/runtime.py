"""The runtime as one object: a workspace, its session store, its execution log and the engine."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from blocks import Registry, default_registry
from blocks.sdk import ConfigurationError
from runtime.channels import channel_named
from runtime.contacts import ContactBook
from runtime.engine import Engine, InputSource, Recorder, SessionHost, Transferor, Turn, TurnInputs
from runtime.engine.threadloop import run_sync, thread_loop
from runtime.errors import SessionNotFound
from runtime.http import OutboundHttp
from runtime.messaging import our_address, require, root_flow, status_callback
from runtime.messaging.conversation import Conversations, Message, queue_replies
from runtime.messaging.eta import AnswerTime
from runtime.messaging.keywords import KEYWORD_CHANNELS
from runtime.messaging.numbers import default_region, e164
from runtime.messaging.optouts import OptedOut, OptOuts
from runtime.ports.dialer import Dialer, line_backend
from runtime.records import ExecutionLog, RecordingStore, RecordsDatabase
from runtime.sandbox import ScriptPool
from runtime.sessions import MemorySessionStore, Session, SessionStore, open_session_store
from runtime.tasks import TaskQueue, open_queue, task_config
from runtime.workspace import Workspace

log = logging.getLogger(__name__)
# what a contact is shown of a turn: the flow's own words and the turn's outcome. A block's
# failure is the flow's business (its `error` exit); its detail (a refused address, a script's
# line) is for operators, in the execution log, never for the contact.
_REPLY_EVENTS = frozenset({"say", "ask", "transfer", "end"})


class Runtime:
    """Runs the live flows of one workspace for every channel."""

    def __init__(self, workspace: Workspace, sessions: SessionStore | None = None,
                 executions: ExecutionLog | None = None,
                 environ: Mapping[str, str] = os.environ, queue: TaskQueue | None = None,
                 records: RecordsDatabase | None = None) -> None:
        self.workspace = workspace
        self.records = records  # the execution log, ledger and campaigns live there
        # what record blocks take: indexed in the records database, audio under the workspace
        self.recordings = RecordingStore(records.engine, workspace.root) \
            if records is not None and workspace.root is not None else None
        self.registry = workspace.registry
        self.sessions = sessions or MemorySessionStore()
        self.executions = executions
        # who each session is with, and their history across channels (runtime.contacts)
        self.contacts = ContactBook.of(records.engine, workspace.settings) \
            if records is not None else None
        self.engine = Engine(workspace, self.sessions, executions, self.contacts)
        self.environ = environ
        # this workspace's script workers ([sandbox]); processes start when a script first runs
        self.scripts = ScriptPool.from_settings(workspace.settings)
        # an HTTP client belongs to the event loop it was made on: one per thread (run_sync
        # keeps one loop per thread), made on first use and closed with the runtime
        self._local = threading.local()
        self._clients: list[tuple[OutboundHttp, Any]] = []
        self._dialer: Dialer | None = None  # made when the first call is placed
        self._lock = threading.Lock()
        # None: made from the workspace's settings when work is first queued
        self._tasks = queue
        self.conversations = Conversations(self)  # inbound messages and chat turns
        if queue is not None:
            queue.bind(self)

    @classmethod
    def open(cls, root: str | Path, *, sessions_url: str | None = None,
             database_url: str | None = None, registry: Registry | None = None,
             environ: Mapping[str, str] = os.environ) -> Runtime:
        """Open a workspace folder with its stores and task queue (embedded: under `.callwright/`)."""
        root = Path(root)
        data = root / ".callwright"
        workspace = Workspace.load(root, registry or default_registry(), environ,
                                   archive=data / "flows")
        storage = workspace.settings.get("storage", {})
        sessions = open_session_store(sessions_url or storage.get("sessions_url")
                                      or f"sqlite:///{data / 'sessions.sqlite3'}")
        config = task_config(root, workspace.settings, environ)
        try:
            records = RecordsDatabase(database_url or config.database_url, migrate=config.migrate)
        except BaseException:
            sessions.close()
            raise
        return cls(workspace, sessions, ExecutionLog(records.engine), environ,
                   open_queue(config, records), records)

    def close(self) -> None:
        """Hang up calls, close HTTP clients, flush the execution log and release the stores."""
        if self._dialer is not None:
            self._dialer.close()
            self._dialer = None
        for client, loop in self._clients:
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(client.aclose())
        self._clients.clear()
        if self.executions is not None:
            self.executions.close()
        if self.contacts is not None:
            self.contacts.close()
        if self._tasks is not None:
            self._tasks.close()
        if self.records is not None:
            self.records.close()
        self.scripts.close()
        self.sessions.close()

    def host(self, channel: str, inputs: InputSource, sink: Callable[[dict], None], *,
             clock: Callable[[], datetime] | None = None,
             tasks: Callable[[str, dict, str], str] | None = None,
             transfer: Transferor | None = None,
             recorder: Recorder | None = None) -> SessionHost:
        """Return a host for one turn on a channel; `tasks` and `transfer` replace the queue and
        transfers, `recorder` (a voice call's) makes `record` blocks record."""
        return SessionHost(channel_named(channel), inputs, sink, http=self._http(), clock=clock,
                           environ=self.environ, tasks=tasks or self.enqueue, transfer=transfer,
                           scripts=self.scripts, bots=self.workspace.bot,
                           responses=self.workspace.response, recorder=recorder,
                           recordings=self.recordings, eta=self._answer_time.eta)

    @functools.cached_property
    def _answer_time(self) -> AnswerTime:
        """Return `{{ eta }}` of each channel, from [service_levels] and [hours] settings."""
        return AnswerTime(self.workspace.settings)

    @property
    def queue(self) -> TaskQueue:
        """Return the workspace's task queue, made from its settings if none was given."""
        if self._tasks is None:
            root = self.workspace.root
            if root is None:
                raise ConfigurationError("a runtime without a workspace folder has no task queue: "
                                         "give Runtime a queue")
            with self._lock:
                if self._tasks is None:
                    self._tasks = open_queue(task_config(root, self.workspace.settings,
                                                         self.environ), self.records)
                    self._tasks.bind(self)
        return self._tasks

    def enqueue(self, task: str, payload: dict, key: str) -> str:
        """Queue background work on this workspace's task queue."""
        return self.queue.enqueue(task, payload, key)

    def _http(self) -> OutboundHttp:
        client = getattr(self._local, "http", None)
        if client is None:
            try:  # a thread that runs its own loop (the dialer's calls) keeps its client on it
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = thread_loop()
            client = self._local.http = OutboundHttp(self.workspace.settings)
            self._clients.append((client, loop))
        return client

    async def close_http(self) -> None:
        """Close the HTTP client of the running loop's thread (a loop about to stop calls it)."""
        client = getattr(self._local, "http", None)
        if client is not None:
            self._local.http = None
            self._clients = [(c, loop) for c, loop in self._clients if c is not client]
            await client.aclose()

    def chat_turn(self, flow_id: str, session_id: str | None, text: str, channel: str = "chat",
                  sender: str | None = None) -> dict:
        """Take one message of a conversation and return the replies up to the next wait or end."""
        return run_sync(self.turn(flow_id, session_id, text, channel, sender))

    async def turn(self, flow_id: str, session_id: str | None, text: str, channel: str = "chat",
                   sender: str | None = None) -> dict:
        """Async form of `chat_turn`."""
        return await self.conversations.chat(flow_id, session_id, text, channel, sender)

    async def begin(self, flow: Any, channel: str, trigger: dict, contact: dict,
                     replies: list[dict], vars: dict | None = None,
                     callback: str | None = None) -> Turn:
        """Start a session of a flow and run its first turn, collecting its replies."""
        host = self.host(channel, TurnInputs(), _collector(replies))
        session = self.engine.new_session(flow, channel, trigger=trigger, contact=contact,
                                          vars=vars)
        session.callback = callback
        return await self.engine.run(session, host, Turn(session))

    async def resume(self, session: Session, text: str, replies: list[dict],
                      channel: str | None = None) -> Turn:
        """Hand a message to the block a session waits in and run until it waits or ends."""
        host = self.host(channel or session.channel, TurnInputs(), _collector(replies))
        return await self.engine.run(session, host, Turn(session), host.parse_input(text))

    def start_execution(self, flow_id: str, channel: str, to: str, *, sender: str | None = None,
                        vars: dict | None = None, callback: str | None = None) -> dict:
        """Start a conversation from our side, run its first turn and send its replies to `to`.

        The contact is `to`: it is kept as `contact.from`, the customer's side in every session,
        so the contact's reply continues this session; the trigger says who wrote first. On
        `voice` the session is saved `queued` and the `call` task places it on a free port.
        """
        flow = self.workspace.flow(flow_id)
        settings = self.workspace.settings
        require(settings, channel, callback)
        if channel == "sms":
            to = e164(to, default_region(settings), "/to")
        opted = self.optouts.opted_out(channel, to) if channel in KEYWORD_CHANNELS else None
        if opted is not None:
            raise OptedOut(opted.reason())
        ours = sender or (settings.get("voice", {}).get("caller_id") if channel == "voice"
                          else None) or our_address(settings, self.workspace.routes, channel,
                                                    flow_id)
        trigger = {"channel": channel, "from": ours, "to": to, "text": None,
                   "direction": "outbound"}
        contact = {"from": to, "to": ours} if ours else {"from": to}
        if channel == "voice":
            return self._queue_call(flow, trigger, contact, vars, callback)
        replies: list[dict] = []
        turn = run_sync(self.begin(flow, channel, trigger, contact, replies, vars, callback))
        queue_replies(self, turn.session, replies, to, ours)
        self.notify(turn.session)
        session = turn.session
        return {"execution": session.id, "status": session.status,
                "disposition": session.disposition, "replies": replies}

    def _queue_call(self, flow: Any, trigger: dict, contact: dict, vars: dict | None,
                    callback: str | None) -> dict:
        """Save an outbound call's session as `queued` and queue the task that places it."""
        session = self.engine.new_session(flow, "voice", trigger=trigger, contact=contact,
                                          vars=vars)
        session.status, session.callback = "queued", callback
        self.sessions.save(session)
        try:
            self.enqueue("call", {"execution": session.id}, f"{session.id}.call")
        except BaseException:
            self.sessions.delete(session.id)  # nothing will ever place it: leave no trace
            raise
        return {"execution": session.id, "status": session.status,
                "disposition": session.disposition, "replies": []}

    def place_calls_with(self, dialer: Dialer) -> None:
        """Have this process's outbound calls placed by `dialer` (a voice node's, on its lines)."""
        with self._lock:
            self._dialer = dialer

    def dialer(self) -> Dialer:
        """Return this process's dialer of outbound calls on the `[voice]` ports."""
        with self._lock:
            if self._dialer is None:
                backend = line_backend(self.workspace.settings, self.workspace.root)
                self._dialer = Dialer(self, backend)
            return self._dialer

    def inbound(self, channel: str, sender: str, to: str, text: str,
                message_id: str | None = None, **extra: Any) -> dict:
        """Take a message from a contact: continue their open conversation or start one.

        A message id seen before causes nothing and answers `duplicate`. `extra` is what a
        channel adds to its messages (an e-mail's headers), read by its `InboundChannel`.
        """
        return self.conversations.receive(Message(channel, sender, to, text, message_id, extra))

    @property
    def optouts(self) -> OptOuts:
        """Return the opt-outs of the messaging channels, in the records database."""
        return OptOuts(self.queue.records.engine)

    def execution(self, session_id: str) -> dict:
        """Return where a session stands and the steps it took; raise SessionNotFound."""
        session = self.sessions.get(session_id)
        steps = self.executions.steps(session_id) if self.executions is not None else []
        if session is None:
            raise SessionNotFound(f"no execution {session_id!r}")
        return {"execution": session.id, "flow": root_flow(session), "channel": session.channel,
                "status": session.status, "disposition": session.disposition, "steps": steps}

    def enqueue_all(self, task: str, jobs: list[tuple[dict, str]]) -> None:
        """Queue several payloads of one task at once, each under its idempotency key."""
        self.queue.enqueue_all(task, jobs)

    def notify(self, session: Session) -> None:
        """Queue the status callback of a session that asked for one, once per turn."""
        job = status_callback(session)
        if job is not None:
            self._queue_after_turn("callback", *job)

    def _queue_after_turn(self, task: str, payload: dict, key: str) -> None:
        """Queue work after a turn; the turn has happened, so a failure is logged, not raised."""
        try:
            self.enqueue(task, payload, key)
        except Exception:  # the session has moved on: say loudly what was not queued
            log.exception("%s %s of session %s could not be queued", task, key, key.split(".")[0])


def _collector(replies: list[dict]) -> Callable[[dict], None]:
    """Return a sink that keeps the events of a turn a contact sees."""
    def sink(event: dict) -> None:
        """Keep a reply event."""
        if event["event"] in _REPLY_EVENTS:
            replies.append(event)
    return sink


__all__ = ["Runtime"]
