"""`callwright mail`: receive a workspace's e-mail over SMTP and answer it, until stopped.

`serve --smtp HOST:PORT` runs it as a child process beside the task worker and the voice node;
it runs on its own too, for a node that only takes mail.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import click

from blocks.sdk import ConfigurationError
from runtime import Runtime
from runtime.errors import EngineError
from runtime.mail import DEFAULT_LISTEN, MailReceiver
from runtime.mail.server import MailServer
from runtime.ports.sip.addresses import split_hostport
from runtime.tasks.senders import missing_setting

from .serve import parse_hostport


@click.command()
@click.option("--workspace", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=".", show_default=True, help="The workspace whose flows answer mail.")
@click.option("--smtp", default=None, metavar="HOST:PORT", callback=parse_hostport,
              help=f"Where mail is received [default: [email] listen in settings, else "
                   f"{DEFAULT_LISTEN}]; port 0 picks a free one, which is printed.")
def mail(workspace: Path, smtp: str | None) -> None:
    """Receive mail by SMTP for the addresses of routes.json's `email` table until SIGTERM."""
    root = workspace.resolve()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        runtime = Runtime.open(root)
    except (EngineError, ConfigurationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        settings = runtime.workspace.settings
        try:
            host, port = split_hostport(smtp or settings.get("email", {}).get("listen")
                                        or DEFAULT_LISTEN)
        except ValueError as exc:
            click.echo(f"error: [email] listen: {exc}", err=True)
            sys.exit(2)
        problem = missing_setting(settings, "email")
        if problem:  # answers could never leave: say so before taking mail
            click.echo(f"error: {problem}", err=True)
            sys.exit(2)
        server = MailServer(MailReceiver(runtime), host, port)
        try:
            server.start()
        except OSError as exc:
            click.echo(f"error: cannot receive mail on {host}:{port}: {exc.strerror or exc}",
                       err=True)
            sys.exit(1)
        addresses = sorted(k for k in runtime.workspace.routes.get("email") or {})
        click.echo(f"Receiving mail by SMTP on {host}:{server.port} for "
                   f"{', '.join(addresses) or 'no address (routes.json has no email table)'}",
                   err=True)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait()
        server.stop()
    finally:
        runtime.close()
