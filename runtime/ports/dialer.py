"""Outbound calls: a queued voice session placed on a free port of this process's line.

`Runtime.start_execution` on `voice` saves the session as `queued` and queues the `call` task
on the lines queue; the task (runtime.tasks.calls) hands it to the process's `Dialer`, which
takes a free port, dials the contact and, once the callee answers, runs the session over the
port with `run_call`. Every call runs on the dialer's event loop, so the task returns at once
and a worker holds as many calls as it has ports, not as many as it has task threads.

A voice node gives its dialer its own loop and the pool of a backend it runs (`VoiceNode.
dialer`), so inbound and outbound calls share that backend's ports. Elsewhere (tasks run
immediately where they are queued, tests) the dialer builds `[voice] backend` and runs a loop
of its own on a thread.

The session is claimed `queued` -> `running` by a revision-checked save, so a task that Huey
runs twice places one call. A call that does not connect ends the session with the dial's
result as its disposition (`busy`, `noanswer`, `failed`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

from blocks.sdk import ConfigurationError
from runtime.errors import SessionNotFound
from runtime.sessions import Session, SessionStore, StaleSession
from runtime.workspace import Workspace

from .call import CallRunner, run_call
from .pool import NoFreePort, PortPool
from .port import PortBackend


class DialerHost(CallRunner, Protocol):
    """What the dialer needs of the runtime: a call runner with sessions, callbacks and HTTP."""

    workspace: Workspace
    sessions: SessionStore

    def notify(self, session: Session) -> None:
        """Queue the status callback of a session that asked for one."""

    async def close_http(self) -> None:
        """Close the HTTP client of the running loop's thread."""


log = logging.getLogger(__name__)
DEFAULT_ANSWER_TIMEOUT_S = 30.0
PLACE_TIMEOUT_S = 10.0  # placing only claims a port and the session: it never takes long
CLOSE_TIMEOUT_S = 10.0


def dialing_backend(settings: Mapping[str, Any]) -> str:
    """Return the name of the backend outbound calls are placed on: `[voice] backend`.

    The SIP backend answers calls and dials none; the emulator's boards (the default) and a
    registered `line` dial, and so may a partner's backend."""
    name = settings.get("voice", {}).get("backend", "emulator")
    if name == "sip":
        raise ConfigurationError("[voice] backend = \"sip\": the sip backend answers calls and "
                                 "places none; outbound calls go on \"emulator\" or a "
                                 "registered \"line\"")
    return name


def line_backend(settings: Mapping[str, Any], root: Path) -> PortBackend:
    """Return the ports outbound calls are placed on, built by their backend's `from_settings`."""
    from .backends import backend_class

    return backend_class(dialing_backend(settings)).from_settings(settings, root)


class Dialer:
    """Places a runtime's queued voice sessions on the ports of one backend."""

    def __init__(self, runtime: DialerHost, backend: PortBackend, *,
                 pool: PortPool | None = None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.runtime = runtime
        self.backend = backend
        self.pool = pool or PortPool(backend.ports, backend.clock)
        voice = runtime.workspace.settings.get("voice", {})
        self.answer_timeout_s = float(voice.get("answer_timeout_s", DEFAULT_ANSWER_TIMEOUT_S))
        self._calls: set[asyncio.Task] = set()
        # a loop given is its owner's (a voice node's) to run and stop, with the backend
        self._own_loop = loop is None
        self._loop = loop or asyncio.new_event_loop()
        if self._own_loop:
            self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                            name="voice-calls")
            self._thread.start()

    def place(self, session_id: str) -> str | None:
        """Start the call of a queued session on a free port; return the port id.

        None when the session is no longer queued (placed by an earlier run of the task, or
        ended). Raises NoFreePort while every port is busy, SessionNotFound for an unknown id.
        """
        future: Future = asyncio.run_coroutine_threadsafe(self._place(session_id), self._loop)
        return future.result(PLACE_TIMEOUT_S)

    def give_up(self, session: Session, disposition: str) -> None:
        """End a queued call that will not be placed, and tell its caller if it asked."""
        self._end(session, disposition)
        self.runtime.notify(session)

    def in_progress(self) -> int:
        """Return how many calls this dialer carries now."""
        return len(self._calls)

    def close(self) -> None:
        """Hang up the calls in progress (their sessions end `interrupted`) and stop the loop."""
        if not self._own_loop:
            return  # the node's: `stop` hangs up its calls, the node stops its backends
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(CLOSE_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CLOSE_TIMEOUT_S)
        self._loop.close()
        self.backend.close()

    async def _place(self, session_id: str) -> str | None:
        sessions = self.runtime.sessions
        session = sessions.get(session_id)
        if session is None:
            raise SessionNotFound(f"no execution {session_id!r} to call")
        if session.status != "queued":
            return None
        port = self.pool.acquire()
        if port is None:
            raise NoFreePort(f"all {len(self.pool.ports)} ports are busy")
        session.status = "running"
        try:
            sessions.save(session)  # the claim: a second run of the task finds it running
        except StaleSession:
            self.pool.release(port)
            return None
        except BaseException:
            self.pool.release(port)
            raise
        call = self._loop.create_task(self._call(session, port), name=f"call {session_id}")
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)
        return port.id

    async def _call(self, session: Session, port: Any) -> None:
        try:
            caller_id = session.contact.get("to") or ""
            outcome = await port.dial(session.contact["from"], self.answer_timeout_s, caller_id)
            if outcome == "answered":
                await run_call(self.runtime, session.flow_id, port, session=session)
            else:
                self._end(session, outcome)
        except asyncio.CancelledError:
            await port.hangup()
            self._end(session, "interrupted")
        except Exception:  # one call's fault must not stop the loop that carries the others
            log.exception("the call of execution %s failed", session.id)
            await port.hangup()
            self._end(session, "error")
        finally:
            self.pool.release(port)
        # queueing may be Redis across the network, or in immediate mode the post itself
        await asyncio.to_thread(self.runtime.notify, session)

    def _end(self, session: Session, disposition: str) -> None:
        """End a call's session that did not run to its own end."""
        if session.status == "ended":
            return
        session.status, session.disposition = "ended", disposition
        try:
            self.runtime.sessions.save(session)
        except Exception:
            log.exception("the end (%s) of execution %s could not be saved", disposition,
                          session.id)

    async def stop(self) -> None:
        """Hang up the calls in progress, on the dialer's loop; their sessions end `interrupted`."""
        calls = list(self._calls)
        for call in calls:
            call.cancel()
        if calls:
            await asyncio.gather(*calls, return_exceptions=True)
        await self.runtime.close_http()


__all__ = ["Dialer", "NoFreePort", "dialing_backend", "line_backend"]
