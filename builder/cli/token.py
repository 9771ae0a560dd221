"""`callwright token`: make, list and remove API tokens (each with a role) for scripts and CI."""

from __future__ import annotations

from pathlib import Path

import click

from .user import ROLE, WORKSPACE, audited, fail, open_auth


@click.group()
def token() -> None:
    """Manage the API tokens sent as `Authorization: Bearer <token>` (one role each)."""


@token.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True, help="viewer, editor or admin.")
@WORKSPACE
def add(name: str, role: str, workspace: Path) -> None:
    """Make a token and print it once: only a hash of its secret is kept."""
    from ..auth.tokens import TokenStore

    if not name.strip() or len(name) > 128:
        fail("a token's name is 1 to 128 characters, not blank")
    with open_auth(workspace) as (users, log):
        made, text = TokenStore(users.engine).add(name.strip(), role, created_by=None)
        audited(log, "token_added", "token", made.id, {"name": made.name, "role": made.role})
    click.echo(f"made token {made.id} ({made.name}, {made.role}); it is shown only now:",
               err=True)
    click.echo(text)


@token.command("list")
@WORKSPACE
def list_tokens(workspace: Path) -> None:
    """List the tokens: id, name, role, and when each was last used."""
    from ..auth.tokens import TokenStore

    with open_auth(workspace) as (users, _log):
        tokens = TokenStore(users.engine).all()
    if not tokens:
        click.echo("no tokens (besides any in [api] tokens, which are admin tokens)")
    for made in tokens:
        used = "never used" if made.last_used_at is None else f"last used {made.last_used_at:.0f}"
        click.echo(f"{made.id}\t{made.name}\t{made.role}\t{used}")


@token.command("remove")
@click.argument("token_id", metavar="ID")
@WORKSPACE
def remove(token_id: str, workspace: Path) -> None:
    """Remove a token by its id: it stops working at once."""
    from ..auth.tokens import TokenStore

    with open_auth(workspace) as (users, log):
        removed = TokenStore(users.engine).remove(token_id)
        if removed is None:
            fail(f"there is no token {token_id!r} (callwright token list shows them)")
        audited(log, "token_removed", "token", removed.id, {"name": removed.name,
                                                             "role": removed.role})
    click.echo(f"removed token {removed.id} ({removed.name})")
