"""`callwright serve`: a workspace's API and web chat on granian (ASGI), and its task worker."""

from __future__ import annotations

import errno
import os
import secrets
import socket
import sys
from pathlib import Path

import click

from runtime.ports.sip.addresses import split_hostport

from ..lifetime import SERVE_PID
from .worker_child import start_mail, start_voice, start_worker

APP_TARGET = "builder.asgi:app"
EDITOR_DIR = Path(__file__).resolve().parent.parent / "editor"  # as builder.api.editor has it
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_SIP = "127.0.0.1:5060"
DEFAULT_SMTP_PORT = 2525  # SMTP's own ports need root; this one does not
# requests per worker process in flight at once: turns waiting on a flow's HTTP call or script
# wait on the event loop, so a worker carries many (64 held 200 turns of a 2 s service to rounds)
BACKPRESSURE = 1024


def parse_hostport(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check a HOST:PORT option value; return it unchanged."""
    if value is None:
        return None
    try:
        split_hostport(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command()
@click.option("--workspace", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=".", show_default=True, help="The workspace folder to serve.")
@click.option("--host", default=None,
              help="Address to listen on [default: [server] host in settings, else 127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="TCP port; 0 picks a free one, which the banner names [default: [server] "
                   "port in settings, else 8080].")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes [default: [server] workers in settings, else 1].")
@click.option("--sip", default=None, metavar="HOST:PORT", callback=parse_hostport,
              help="Where SIP calls are answered [default: [sip] listen in settings, else "
                   "127.0.0.1:5060]; port 0 picks a free one, which the banner names.")
@click.option("--smtp", default=None, metavar="HOST:PORT", callback=parse_hostport,
              help="Where e-mail for routes.json's `email` table is received by SMTP "
                   "[default: [email] listen in settings, else port 2525 of --host when "
                   "the workspace routes e-mail, else no receiver]; port 0 picks a free one, "
                   "which the banner names.")
@click.option("--worker/--no-worker", default=None,
              help="Also run the task worker (`callwright worker`) as a child process "
                   "[default: [server] worker in settings, else on]; turn it off where workers "
                   "run separately.")
def serve(workspace: Path, host: str | None, port: int | None, workers: int | None,
          sip: str | None, smtp: str | None, worker: bool | None) -> None:
    """Serve a workspace's REST API, web chat and webhooks, and run its tasks, until stopped."""
    root = workspace.resolve()
    settings, routes = preflight(root)
    server = settings.get("server", {})
    host = host or server.get("host") or DEFAULT_HOST
    port = port if port is not None else server.get("port") or DEFAULT_PORT
    workers = workers or server.get("workers") or 1
    sip = sip or settings.get("sip", {}).get("listen") or DEFAULT_SIP
    local = local_mode(root, settings, host)  # before binding: a refusal binds nothing
    # mail is received where the workspace routes it, on serve's own host: a workspace with no
    # e-mail routes (and no relay to answer through) gets no receiver unless one is asked for
    smtp = smtp or settings.get("email", {}).get("listen") or \
        (f"{f'[{host}]' if ':' in host else host}:{DEFAULT_SMTP_PORT}"
         if routes.get("email") else None)
    if smtp:
        from runtime.tasks.senders import missing_setting
        problem = missing_setting(settings, "email")
        if problem:  # the receiver would take mail it could never answer
            click.echo(f"error: {problem}", err=True)
            sys.exit(2)
    port = claim_port(host, port)
    sip = claim_sip(sip)
    smtp = claim_smtp(smtp) if smtp else None
    # the workers build the app from these: builder.asgi reads the workspace, and the runtime's
    # settings take [sip] listen from CALLWRIGHT_SIP_LISTEN
    os.environ["CALLWRIGHT_WORKSPACE"] = str(root)
    os.environ[SERVE_PID] = str(os.getpid())  # its HTTP workers end with it (builder.lifetime)
    os.environ["CALLWRIGHT_SIP_LISTEN"] = sip
    # [server] host tells the app where it listens (local mode only on loopback); one local-mode
    # CSRF token for every worker, so that a page's token holds whichever worker answers
    os.environ["CALLWRIGHT_SERVER_HOST"] = host
    if local:
        from ..auth.state import LOCAL_CSRF_VARIABLE
        os.environ[LOCAL_CSRF_VARIABLE] = secrets.token_urlsafe(32)
    # before granian forks its workers, so that one consumer and one voice node run however
    # many workers serve; both started before either is watched (a thread keeps the next child
    # from dying with serve)
    children = [child for child in (start_worker(root, settings, worker),
                                    start_voice(root, settings, sip), start_mail(root, smtp))
                if child is not None]
    for child in children:
        child.watch()
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    click.echo(f"Callwright serving workspace {root} at {url}: the REST API, web chat turns and "
               f"inbound webhooks under {url}api/v1 (described by {url}api/v1/openapi.json), "
               f"{workers} HTTP worker{'s' if workers > 1 else ''}; stop with Ctrl+C or SIGTERM.")
    if (EDITOR_DIR / "index.html").is_file():
        click.echo(f"The flow editor is at {url} (in a browser).")
    else:
        click.echo(f"No editor: this installation has no built editor (scripts/build-editor.sh); "
                   f"{url} answers where the API and its document are.")
    try:
        run_server(host, port, workers)
    finally:
        for child in children:  # all of them at once: each takes its own time to stop
            child.terminate()
        for child in children:
            child.stop()


def preflight(root: Path) -> tuple[dict, dict]:
    """Open the workspace once before any worker: report what is not live, return the settings
    and the routes.

    This also creates the embedded stores, so that workers starting together find them made.
    """
    from blocks.sdk import ConfigurationError
    from runtime import EngineError, Runtime

    from ..auth.state import make_state

    try:
        runtime = Runtime.open(root)
    except (EngineError, ConfigurationError) as exc:  # bad callwright.toml, variables or store
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        try:
            make_state(runtime)  # what each worker's app reads: [server] trusted_proxies
        except ConfigurationError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        for problems in runtime.workspace.problems.values():
            for problem in problems:
                click.echo(f"not live: {problem}", err=True)
        live = sorted(runtime.workspace.flows)
        click.echo(f"{len(live)} live flow{'' if len(live) == 1 else 's'}: "
                   f"{', '.join(live) or '(none)'}")
        return runtime.workspace.settings, runtime.workspace.routes
    finally:
        runtime.close()


def local_mode(root: Path, settings: dict, host: str) -> bool:
    """Say whether serve runs in local mode (no users, loopback); refuse a public one without users.

    With no users, every request from this machine is the local admin, as Node-RED does out of
    the box; on any other address nobody could sign in and everyone would be let in, so serve
    exits with status 2 before it binds.
    """
    from builder.auth.addresses import is_loopback
    from builder.auth.users import UserStore
    from runtime.records import open_engine
    from runtime.tasks import task_config

    engine = open_engine(task_config(root, settings).database_url)
    try:
        if UserStore(engine).any():
            return False
    finally:
        engine.dispose()
    if not is_loopback(host):
        click.echo(f"error: this workspace has no users, and {host} is not a loopback address: "
                   f"anyone who reaches it would be let in with nobody to sign in. Add an admin "
                   f"first (callwright user add NAME --role admin --workspace {root}), or serve "
                   f"on 127.0.0.1 to use it from this machine alone.", err=True)
        sys.exit(2)
    click.echo("Local mode: this workspace has no users, so every request from this machine is "
               "served as a local admin (as Node-RED does out of the box). Add a user with "
               "`callwright user add NAME --role admin` to require signing in.")
    return True


def claim_smtp(smtp: str) -> str:
    """Check that nothing listens on the SMTP address, or pick a free port for 0; return it."""
    host, port = split_hostport(smtp)
    got = claim_port(host, port, "--smtp")
    return f"[{host}]:{got}" if ":" in host else f"{host}:{got}"


def claim_port(host: str, port: int, option: str = "--port") -> int:
    """Check that nothing listens on host:port, or pick a free port for 0; return the port."""
    # granian's workers bind with SO_REUSEPORT: on a taken port a second serve would start
    # without a word and split the traffic with the first, and each worker given port 0 would
    # take a port of its own. A socket bound without SO_REUSEPORT fails wherever anyone listens;
    # SO_REUSEADDR still lets a restart take a port whose old connections linger in TIME_WAIT.
    # Two serves started in the very same instant could both pass; a second serve started by
    # hand or by a script while the first runs cannot.
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
            return probe.getsockname()[1]
    except OSError as exc:  # socket.gaierror too: a host name that does not resolve
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        why = ("the address is already in use (is another `callwright serve` running there?); "
               f"stop that server, or choose another {option} (0 picks a free one)"
               if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc))
        click.echo(f"error: cannot listen on {shown}: {why}", err=True)
        sys.exit(1)


def claim_sip(sip: str) -> str:
    """Check that nothing takes UDP on the SIP address, or pick a free port for 0; return it.

    The voice node binds it a moment later; a taken address stops serve here, with a message,
    before anything is started.
    """
    host, port = split_hostport(sip)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.bind(address)
            got = probe.getsockname()[1]
    except OSError as exc:
        why = ("the address is already in use (is another `callwright serve` or a SIP server "
               "running there?); stop it, or choose another --sip (port 0 picks a free one)"
               if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc))
        click.echo(f"error: cannot answer SIP on {sip}: {why}", err=True)
        sys.exit(1)
    return f"[{host}]:{got}" if ":" in host else f"{host}:{got}"


def run_server(host: str, port: int, workers: int) -> None:
    """Run granian in ASGI mode on the builder app until it is told to stop."""
    from granian import Granian
    from granian.constants import Interfaces, Loops

    # granian installs SIGINT/SIGTERM handlers in this process and stops the workers cleanly.
    # Each worker runs one event loop (uvloop where it is installed: ~10% less CPU a turn than
    # asyncio's, benchmarks/chat.sh); granian queues up to BACKPRESSURE requests per worker.
    Granian(APP_TARGET, address=host, port=port, interface=Interfaces.ASGI, workers=workers,
            loop=Loops.auto, backpressure=BACKPRESSURE, websockets=False).serve()
