"""`callwright db`: the records database's schema, for operators who run migrations themselves."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from blocks.sdk import ConfigurationError
from runtime.errors import EngineError
from runtime.records import head, open_engine, revision, upgrade
from runtime.tasks import task_config
from runtime.workspace import load_settings


@click.group()
def db() -> None:
    """Show and upgrade the records database's schema ([storage] database_url)."""


WORKSPACE = click.option("--workspace", type=click.Path(exists=True, file_okay=False,
                                                        path_type=Path),
                         default=".", show_default=True,
                         help="The workspace whose [storage] database_url to use.")
URL = click.option("--database-url", default=None, metavar="URL",
                   help="A database URL instead of the workspace's (sqlite:///PATH, "
                        "postgresql+psycopg://USER@HOST/DB).")


@db.command("upgrade")
@WORKSPACE
@URL
def upgrade_command(workspace: Path, database_url: str | None) -> None:
    """Bring the records database to the newest migration; running it again does nothing."""
    engine = _engine(workspace, database_url)
    try:
        before = revision(engine)
        after = upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"the records database is at {after}, the newest revision: nothing to do")
    else:
        click.echo(f"the records database went from {before or 'empty'} to {after}")


@db.command("current")
@WORKSPACE
@URL
def current_command(workspace: Path, database_url: str | None) -> None:
    """Print the database's revision and the newest; exit 1 when it is behind."""
    engine = _engine(workspace, database_url)
    try:
        found = revision(engine)
    finally:
        engine.dispose()
    newest = head()
    click.echo(f"database: {found or 'empty'}; newest: {newest}")
    if found != newest:
        click.echo("run `callwright db upgrade` to bring it up to date", err=True)
        sys.exit(1)


def _engine(workspace: Path, database_url: str | None):
    """Open the database a URL or the workspace's settings name; exit 2 with the reason if not."""
    root = workspace.resolve()
    try:
        url = database_url or task_config(root, load_settings(root)).database_url
        return open_engine(url)
    except (EngineError, ConfigurationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
