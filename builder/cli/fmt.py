"""`callwright fmt PATH...`: rewrite documents in the stable form, touching only changed files."""

from __future__ import annotations

from pathlib import Path

import click

from blocks.registry import Registry, default_registry
from runtime.workspace.stable_form import dumps, write_atomic
from runtime.validation import Problem, read_json

DATA_FOLDERS = ("flows", "bots", "responses")
ROUTES_FILE = "routes.json"


@click.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True,
              help="Write nothing; list the files that would change and exit 1 if any would.")
def fmt(paths: tuple[Path, ...], check: bool) -> None:
    """Rewrite flows, bots, responses and routes.json in the stable form git diffs rely on.

    A folder is a workspace (flows/, bots/, responses/, routes.json). A file whose bytes would
    not change is not written at all; a file that does not parse is reported and left as it is.
    """
    files = [file for path in paths for file in documents(path)]
    if not files:
        raise click.UsageError("no documents to format (a workspace has flows/*.json)")
    registry = default_registry()
    changed: list[Path] = []
    broken: list[Path] = []
    for file in files:
        new, problems = formatted(file, registry)
        for problem in problems:
            click.echo(str(problem), err=True)
        if problems:
            broken.append(file)
        elif new is not None:
            changed.append(file)
            if not check:
                write_atomic(file, new)
    verb = "would reformat" if check else "reformatted"
    for file in changed:
        click.echo(f"{verb} {file}")
    click.echo(_summary(len(files), len(changed), len(broken), check), err=True)
    click.get_current_context().exit(1 if broken or (check and changed) else 0)


def documents(path: Path) -> list[Path]:
    """Return the files to format for a path: itself, or a workspace folder's documents."""
    if not path.is_dir():
        return [path]
    found = [file for folder in DATA_FOLDERS for file in sorted((path / folder).glob("*.json"))]
    if (path / ROUTES_FILE).is_file():
        found.append(path / ROUTES_FILE)
    return found


def formatted(file: Path, registry: Registry) -> tuple[str | None, list[Problem]]:
    """Return (the stable text, or None when the file already is in it, problems).

    Problems mean the file does not parse: it must be left as it is.
    """
    _, doc, problems = read_json(file)
    if problems:
        return None, problems
    text = dumps(doc, registry)
    return (None if text.encode("utf-8") == file.read_bytes() else text), []


def _summary(files: int, changed: int, broken: int, check: bool) -> str:
    """Return a one-line account of what fmt did or would do."""
    done = "would be reformatted" if check else "reformatted"
    parts = [f"{changed} of {files} file{'s' if files != 1 else ''} {done}"]
    if broken:
        parts.append(f"{broken} file{'s' if broken != 1 else ''} left untouched: "
                     "they do not parse")
    return ", ".join(parts)
