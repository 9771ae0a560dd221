"""The runtime as one object: a workspace, its session store, its execution log and the engine."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from blocks import Registry, default_registry

from .channels import channel_named
from .engine import Engine, Turn
from .errors import SessionEnded, SessionNotFound
from .host import InputSource, SessionHost, TurnInputs
from .loop import run_sync, thread_loop
from .outbound import OutboundHttp
from .store import MemorySessionStore, SessionStore, open_session_store
from .store.executions import ExecutionLog
from .workspace import Workspace

_REPLY_EVENTS = frozenset({"say", "ask", "transfer", "end", "error"})


class Runtime:
    """Runs the live flows of one workspace for every channel."""

    def __init__(self, workspace: Workspace, sessions: SessionStore | None = None,
                 executions: ExecutionLog | None = None,
                 environ: Mapping[str, str] = os.environ) -> None:
        self.workspace = workspace
        self.registry = workspace.registry
        self.sessions = sessions or MemorySessionStore()
        self.executions = executions
        self.engine = Engine(workspace, self.sessions, executions)
        self.environ = environ
        # an HTTP client belongs to the event loop it was made on: one per thread (run_sync
        # keeps one loop per thread), made on first use and closed with the runtime
        self._local = threading.local()
        self._clients: list[tuple[OutboundHttp, Any]] = []

    @classmethod
    def open(cls, root: str | Path, *, sessions_url: str | None = None,
             database_url: str | None = None, registry: Registry | None = None,
             environ: Mapping[str, str] = os.environ) -> Runtime:
        """Open a workspace folder with its stores (embedded SQLite under `.callwright/`)."""
        root = Path(root)
        workspace = Workspace.load(root, registry or default_registry(), environ)
        storage = workspace.settings.get("storage", {})
        data = root / ".callwright"
        sessions = open_session_store(sessions_url or storage.get("sessions_url")
                                      or f"sqlite:///{data / 'sessions.sqlite3'}")
        if database_url is None:
            database_url = storage.get("database_url")
        if database_url is None:
            data.mkdir(parents=True, exist_ok=True)
            database_url = f"sqlite:///{data / 'callwright.sqlite3'}"
        return cls(workspace, sessions, ExecutionLog(database_url), environ)

    def close(self) -> None:
        """Close HTTP clients, flush the execution log and release the stores."""
        for client, loop in self._clients:
            if not loop.is_closed() and not loop.is_running():
                loop.run_until_complete(client.aclose())
        self._clients.clear()
        if self.executions is not None:
            self.executions.close()
        self.sessions.close()

    def host(self, channel: str, inputs: InputSource, sink: Callable[[dict], None], *,
             clock: Callable[[], datetime] | None = None,
             tasks: Callable[[str, dict, str], str] | None = None) -> SessionHost:
        """Return a host for one turn on a channel; `tasks` replaces the background queue."""
        return SessionHost(channel_named(channel), inputs, sink, http=self._http(), clock=clock,
                           environ=self.environ, tasks=tasks or self._enqueue)

    def _enqueue(self, task: str, payload: dict, key: str) -> str:
        """Queue background work on this workspace's queue (Huey loads on the first use)."""
        from . import tasks

        tasks.configure(self.workspace.root, self.workspace.settings, self.environ)
        return tasks.enqueue(task, payload, key)

    def _http(self) -> OutboundHttp:
        client = getattr(self._local, "http", None)
        if client is None:
            client = self._local.http = OutboundHttp(self.workspace.settings)
            self._clients.append((client, thread_loop()))
        return client

    def chat_turn(self, flow_id: str, session_id: str | None, text: str, channel: str = "chat",
                  sender: str | None = None) -> dict:
        """Take one message of a conversation and return the replies up to the next wait or end."""
        return run_sync(self.turn(flow_id, session_id, text, channel, sender))

    async def turn(self, flow_id: str, session_id: str | None, text: str, channel: str = "chat",
                   sender: str | None = None) -> dict:
        """Async form of `chat_turn`."""
        replies: list[dict] = []
        sink = replies.append
        host = self.host(channel, TurnInputs(), sink)
        if session_id is None:
            flow = self.workspace.flow(flow_id)
            trigger = {"channel": channel, "from": sender, "to": flow_id, "text": text}
            session = self.engine.new_session(flow, channel, trigger=trigger,
                                              contact={"from": sender} if sender else {})
            turn = await self.engine.run(session, host, Turn(session))
        else:
            session = self.sessions.get(session_id)
            if session is None or _root_flow(session) != flow_id:
                raise SessionNotFound(f"no session {session_id!r} for flow {flow_id!r}")
            if session.status == "ended":
                raise SessionEnded(f"session {session_id!r} has ended ({session.disposition})")
            answer = host.parse_input(text)
            turn = await self.engine.run(session, host, Turn(session), answer)
        return {"session": turn.session.id,
                "replies": [e for e in replies if e["event"] in _REPLY_EVENTS],
                "ended": turn.ended}


def _root_flow(session: Any) -> str:
    """Return the flow a session was started on (the bottom frame's, inside a subflow)."""
    return session.frames[0].flow_id if session.frames else session.flow_id


__all__ = ["Runtime"]
