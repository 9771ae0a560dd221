"""The `callwright` command line; each command lives in its own module, imported when used."""

from __future__ import annotations

import importlib

import click

# command name -> "module:function"; imported lazily so `validate` never loads Flask or granian
COMMANDS = {
    "validate": "builder.cli.validate:validate",
    "fmt": "builder.cli.fmt:fmt",
    "simulate": "builder.cli.simulate:simulate",
    "emulate": "builder.cli.emulate:emulate",
    "serve": "builder.cli.serve:serve",
    "worker": "builder.cli.worker:worker",
    "voice": "builder.cli.voice:voice",
    "mail": "builder.cli.mail:mail",
    "db": "builder.cli.db:db",
    "user": "builder.cli.user:user",
    "token": "builder.cli.token:token",
    "bot": "builder.cli.bot:bot",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(package_name="callwright")
def main() -> None:
    """Build, check and run Callwright conversation flows."""
