"""`callwright validate PATH...`: check flows, routes and whole workspaces; print every problem."""

from __future__ import annotations

import json
from pathlib import Path

import click

from blocks.registry import default_registry
from runtime.validation import Problem, has_errors, validate_file, validate_workspace

_COLOURS = {"error": "red", "warning": "yellow"}


@click.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON object {"ok": bool, "problems": [...]}.')
def validate(paths: tuple[Path, ...], as_json: bool) -> None:
    """Check flow files, routes.json and workspace folders; exit 1 when any has an error.

    A file is checked by its "schema" (callwright/flow@1, callwright/routes@1); a folder is a
    workspace: flows/*.json (subflows resolved across them), routes.json, bots/, responses/.
    Warnings are printed but do not fail the check.
    """
    problems = collect(paths)
    failed = has_errors(problems)
    if as_json:
        click.echo(json.dumps({"ok": not failed, "problems": [p.as_dict() for p in problems]},
                              ensure_ascii=False))
    else:
        for problem in problems:
            click.echo(_styled(problem))
        click.echo(summary(problems, len(paths)), err=True)
    click.get_current_context().exit(1 if failed else 0)


def collect(paths: tuple[Path, ...]) -> list[Problem]:
    """Return the problems of every path (file or workspace folder), in order of path then place."""
    registry = default_registry()
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            problems.extend(validate_workspace(path, registry))
        else:
            problems.extend(validate_file(path, registry))
    return sorted(problems, key=lambda p: (p.file or "", p.pointer, p.message))


def summary(problems: list[Problem], paths: int) -> str:
    """Return a one-line count of errors and warnings."""
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    checked = f"{paths} path{'s' if paths != 1 else ''}"
    if not problems:
        return f"{checked} checked: no problems"
    return (f"{checked} checked: {errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}")


def _styled(problem: Problem) -> str:
    """Return a problem's line, its severity coloured (click drops colour when not a terminal)."""
    text = str(problem)
    word = f"{problem.severity}:"
    colour = _COLOURS.get(problem.severity)
    if colour is None or word not in text:
        return text
    head, _, tail = text.partition(word)
    return head + click.style(word, fg=colour, bold=True) + tail
