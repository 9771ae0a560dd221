"""The `call` task: place a queued outbound call on a free port of a voice node's lines.

The task goes on the lines queue (`queue.lines`), which the voice nodes work (`callwright
voice`, the child of `serve`): the process that owns the ports places the call on them,
whichever process queued it. Every node of a workspace works the same queue; a node whose
ports are all busy puts the task back, and a node with a free one takes it. Placing takes a port and claims the session (`queued` -> `running`), then the call runs on the
dialer's loop and the task returns. While every port is busy the task comes back every
`PORT_RETRY_S` seconds, in queue order as Huey schedules it, until `[voice] port_wait_s` has
passed since the call was queued; then the session ends `no_free_port`. A task that runs twice
finds the session running or ended and does nothing.
"""

from __future__ import annotations

import logging
import time

from blocks.sdk import ConfigurationError
from runtime.errors import SessionNotFound
from runtime.ports import NoFreePort

from .queue import TaskQueue

log = logging.getLogger(__name__)
PORT_RETRY_S = 2.0
DEFAULT_PORT_WAIT_S = 600.0


def register_lines(lines: TaskQueue) -> None:
    """Put the task that places calls on the lines queue."""
    lines.task(place_call)


def register(queue: TaskQueue) -> None:
    """Put the `call` producer on a queue: it queues the placing on the queue's lines queue."""
    queue.producer("call", queue_call)


def queue_call(queue: TaskQueue, payload: dict, key: str) -> None:
    """Queue the placing of a queued voice session `{execution}` for the voice nodes."""
    lines = queue.lines
    if lines is None:
        raise ConfigurationError("this task queue has no lines queue for calls: open it with "
                                 "runtime.tasks.open_queue")
    lines.put(lines.tasks["place_call"].s(payload["execution"]))


def place_call(queue: TaskQueue, execution: str) -> str:
    """Place a queued call now, or look again shortly while every port is busy."""
    runtime = queue.runtime
    dialer = runtime.dialer()
    try:
        port = dialer.place(execution)
    except SessionNotFound:
        log.warning("call %s: the execution does not exist (any more); not placed", execution)
        return "missing"
    except NoFreePort:
        session = runtime.sessions.get(execution)
        if session is None or session.status != "queued":
            return "skipped"
        waited = time.time() - session.started_at
        wait_s = queue.config.settings.get("voice", {}).get("port_wait_s", DEFAULT_PORT_WAIT_S)
        if waited < wait_s:
            queue.tasks["place_call"].schedule((execution,), delay=PORT_RETRY_S)
            return "waiting"
        dialer.give_up(session, "no_free_port")
        log.warning("call %s: no port came free in %.0f s; ended no_free_port", execution, waited)
        return "no_free_port"
    if port is None:
        return "skipped"
    log.info("call %s placed on port %s", execution, port)
    return port
