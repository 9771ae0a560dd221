"""`callwright user`: add, change the password of, remove and list the people who sign in."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ..auth.audit_log import AuditLog
    from ..auth.users import UserStore

ROLE = click.Choice(["viewer", "editor", "admin"])
WORKSPACE = click.option("--workspace", type=click.Path(exists=True, file_okay=False,
                                                        path_type=Path),
                         default=".", show_default=True,
                         help="The workspace whose records database ([storage] database_url) "
                              "holds the users and tokens.")


@click.group()
def user() -> None:
    """Manage the users who sign in to the editor and the API (one role each)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True, help="viewer, editor or admin.")
@click.option("--display-name", default=None, help="The name shown and used as git author.")
@click.option("--email", default=None, help="The e-mail address of the user's git commits.")
@click.option("--language", type=click.Choice(["en", "ru"]), default="en", show_default=True,
              help="The editor's language.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@WORKSPACE
def add(name: str, role: str, display_name: str | None, email: str | None, language: str,
        password_stdin: bool, workspace: Path) -> None:
    """Add a user with a role; the password is asked twice (or read with --password-stdin)."""
    from ..auth.users import UserError, name_problem, normal_name

    problem = name_problem(normal_name(name))
    if problem:
        fail(f"the name {name!r} {problem}")
    password = read_password(password_stdin)
    with open_auth(workspace) as (users, log):
        try:
            made = users.add(name, role, password, display_name=display_name, email=email,
                             language=language)
        except UserError as exc:
            fail(str(exc))
        audited(log, "user_added", "user", made.name, {"role": made.role})
    click.echo(f"added {made.name} ({made.role})")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@WORKSPACE
def passwd(name: str, password_stdin: bool, workspace: Path) -> None:
    """Set a user's password; their signed-in browsers are signed out."""
    from ..auth.users import UserError
    from ..auth.web_sessions import WebSessionStore

    with open_auth(workspace) as (users, log):
        if users.get(name) is None:
            fail(f"there is no user {name!r}")
        password = read_password(password_stdin)
        try:
            changed = users.update(name, password=password)
        except UserError as exc:
            fail(str(exc))
        ended = WebSessionStore(users.engine).close_all(changed.id)
        audited(log, "user_changed", "user", changed.name, {"fields": ["password"]})
    click.echo(f"changed the password of {changed.name}; {ended} browser session"
               f"{'' if ended == 1 else 's'} signed out")


@user.command("remove")
@click.argument("name")
@WORKSPACE
def remove(name: str, workspace: Path) -> None:
    """Remove a user; their browser sessions end."""
    from ..auth.users import UserError

    with open_auth(workspace) as (users, log):
        try:
            removed = users.remove(name)
        except UserError as exc:
            fail(str(exc))
        audited(log, "user_removed", "user", removed.name, {"role": removed.role})
        left = users.any()
    click.echo(f"removed {removed.name}")
    if not left:
        click.echo("no users are left: serve runs in local mode on a loopback address and "
                   "refuses any other")


@user.command("list")
@WORKSPACE
def list_users(workspace: Path) -> None:
    """List the users: name, role, display name and e-mail."""
    with open_auth(workspace) as (users, _log):
        everyone = users.all()
    if not everyone:
        click.echo("no users (serve runs in local mode on a loopback address)")
    for person in everyone:
        details = " ".join(part for part in (person.display_name,
                                             f"<{person.email}>" if person.email else "") if part)
        click.echo(f"{person.name}\t{person.role}\t{details}".rstrip())


def read_password(from_stdin: bool) -> str:
    """Return a new password: one line of standard input, or asked twice on a terminal."""
    from ..auth.passwords import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif on_terminal():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        fail("standard input is not a terminal: pass --password-stdin and the password on it")
    problem = password_problem(password)
    if problem:
        fail(f"the password {problem}")
    return password


@contextmanager
def open_auth(workspace: Path) -> Iterator[tuple[UserStore, AuditLog]]:
    """Open the workspace's records database (migrated as a runtime would) for users and audit."""
    from blocks.sdk import ConfigurationError
    from runtime.errors import EngineError
    from runtime.records import RecordsDatabase
    from runtime.tasks import task_config
    from runtime.workspace import load_settings

    from ..auth.audit_log import AuditLog
    from ..auth.users import UserStore

    root = workspace.resolve()
    try:
        config = task_config(root, load_settings(root))
        database = RecordsDatabase(config.database_url, migrate=config.migrate)
    except (EngineError, ConfigurationError) as exc:
        fail(str(exc))
    try:
        yield UserStore(database.engine), AuditLog(database.engine)
    finally:
        database.close()


def audited(log: AuditLog, action: str, target_kind: str, target_id: str,
            detail: dict[str, Any]) -> None:
    """Record a change made on the command line, by the operating system's user."""
    try:
        actor = getpass.getuser()
    except (KeyError, OSError):  # a uid with no passwd entry (containers)
        actor = "command line"
    log.record(actor, "system", action, target_kind, target_id, detail)


def on_terminal() -> bool:
    """Return whether standard input is a terminal someone types at."""
    return sys.stdin.isatty()


def fail(message: str) -> NoReturn:
    """Print an error and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
