"""`callwright voice`: answer and place calls on a workspace's port backends until stopped.

It answers calls on `[ports] backends` (SIP by default) and works the lines queue: the
outbound calls and campaign calls that any process queued are placed here, on the backend
that dials (`[voice] backend`, the emulator by default), whose ports it owns. `serve` runs it
as a child process (one per serve, whatever its HTTP workers); it runs on its own too, for a
node that carries calls and nothing else.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from pathlib import Path

import click

from blocks.sdk import ConfigurationError
from runtime import Runtime
from runtime.errors import EngineError
from runtime.ports.backends import backend_class, configured_backends
from runtime.ports.dialer import dialing_backend
from runtime.ports.figures import write_figures
from runtime.ports.node import VoiceNode

from .serve import parse_hostport
from .service import log_to_stderr, open_runtime

# how often the figures are written for the API and /metrics, and flows published meanwhile
# are taken live (a stat call per flow file)
FIGURES_S = 1.0
STOP_DRAIN_S = 1.0  # a call still up this long after SIGTERM is hung up
# placing a call only claims a port and its session, so two threads keep up with any rate
PLACING_THREADS = 2
MAX_POLL_S = 0.5  # an idle node looks for queued calls at least this often (SQLite polls)


@click.command()
@click.option("--workspace", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=".", show_default=True, help="The workspace whose flows answer calls.")
@click.option("--sip", default=None, metavar="HOST:PORT", callback=parse_hostport,
              help="Where SIP calls are answered [default: [sip] listen in settings, else "
                   "127.0.0.1:5060]; port 0 picks a free one, which is printed.")
def voice(workspace: Path, sip: str | None) -> None:
    """Answer calls on the workspace's port backends ([ports] backends) until SIGTERM or Ctrl+C."""
    root = workspace.resolve()
    log_to_stderr()
    runtime = open_runtime(root)
    try:
        # session saves off the event loop: an SQLite save waits on fdatasync, and here the
        # loop also paces every call's audio (a save held it 30 ms and more: benchmarks/sip.py)
        runtime.sessions.remote = True
        settings = runtime.workspace.settings
        if sip:
            settings = {**settings, "sip": {**settings.get("sip", {}), "listen": sip}}
        backends = configured_backends(settings, root)
        answering = [backend.name for backend in backends]
        dials = dialing_backend(settings)
        if dials not in answering:  # the node runs it only to place calls on it
            backends.append(backend_class(dials).from_settings(settings, root))
    except (EngineError, ConfigurationError, ValueError) as exc:
        runtime.close()
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        code = _run(runtime, VoiceNode(runtime, backends), root, answering, dials)
    finally:
        runtime.close()
    sys.exit(code)


def _run(runtime: Runtime, node: VoiceNode, root: Path, answering: list[str],
         dials: str) -> int:
    """Run the node on an event loop (uvloop where installed) until a stop signal; return 0."""
    try:
        import uvloop
        loop_factory = uvloop.new_event_loop
    except ImportError:  # asyncio's own loop where uvloop does not build (Windows)
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_serve(runtime, node, root, answering, dials))


async def _serve(runtime: Runtime, node: VoiceNode, root: Path, answering: list[str],
                 dials: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        await node.start()
    except (EngineError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    dialer = node.dialer(runtime, dials)
    runtime.place_calls_with(dialer)
    lines = runtime.queue.lines
    placing = None
    if not lines.config.immediate:  # immediate: a call is placed where it is queued
        placing = lines.consumer(workers=PLACING_THREADS, periodic=False, max_delay=MAX_POLL_S,
                                 shutdown_timeout=STOP_DRAIN_S)
        placing.start()  # it sets Huey's signal handlers: the node's own come after
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    for backend in node.backends:
        if backend.name in answering:
            click.echo(f"Answering {backend.name} calls on {backend.address} with "
                       f"{len(backend.ports)} ports.", err=True)
    click.echo(f"Placing outbound calls on {dialer.backend.name} ({dialer.backend.address}, "
               f"{len(dialer.backend.ports)} ports)"
               f"{'' if placing else ' where they are queued ([tasks] immediate)'}.", err=True)
    # what is loaded by now lives as long as the node: frozen, the cyclic collector stops
    # walking it, and its full collections stop holding up every call's audio (120-150 ms at
    # 500 calls, 7 ms frozen: benchmarks/README.md)
    gc.freeze()
    try:
        while not stop.is_set():
            write_figures(root, node.snapshot())
            try:
                await asyncio.wait_for(stop.wait(), FIGURES_S)
            except TimeoutError:
                runtime.workspace.reload()
    finally:
        if placing is not None:  # no more calls placed; one being placed finishes
            await asyncio.to_thread(placing.stop, True)
        await dialer.stop()  # outbound calls in progress end `interrupted`
        # stopped, calls in progress end now (BYE), well within the time serve gives its child
        await node.stop(drain_s=STOP_DRAIN_S)
        await runtime.close_http()
        write_figures(root, node.snapshot())  # the last word; read as stale from now on
    return 0
