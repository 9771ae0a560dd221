"""What the long-running commands (worker, mail, voice) do alike before they start serving."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from blocks.sdk import ConfigurationError
from runtime import Runtime
from runtime.errors import EngineError


def log_to_stderr() -> None:
    """Log INFO and up to stderr, each line with its time, level and logger."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def open_runtime(root: Path) -> Runtime:
    """Return the workspace's runtime; a bad callwright.toml, variables, queue or store URL is
    an error on stderr and exit code 2."""
    try:
        return Runtime.open(root)
    except (EngineError, ConfigurationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
