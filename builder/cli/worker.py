"""`callwright worker`: run the Huey consumer of a workspace's task queue in this process."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

# How long an idle worker waits between polls at most (SQLite polls; Redis blocks on BRPOP),
# and so how soon it notices that Redis is back after an outage.
MAX_POLL_S = 1.0


@click.command()
@click.option("--workspace", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=".", show_default=True, help="The workspace whose queue to work on.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker threads running tasks at once.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the periodic jobs (recovery, clean-up, roll-ups); keep them on in "
                   "one worker process of a cluster.")
def worker(workspace: Path, workers: int, periodic: bool) -> None:
    """Run background tasks (message delivery, periodic jobs) until SIGTERM or Ctrl+C."""
    root = workspace.resolve()
    # the tasks module builds its one Huey instance from this when first imported
    os.environ["CALLWRIGHT_WORKSPACE"] = str(root)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from blocks.sdk import ConfigurationError
    from runtime.errors import EngineError

    try:
        from runtime import tasks

        config = tasks.configure(root)
    except (EngineError, ConfigurationError) as exc:  # bad callwright.toml, variables or Redis URL
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if config.immediate:
        click.echo("error: [tasks] immediate is true: tasks run where they are queued, so a "
                   "worker has nothing to do; unset it (or CALLWRIGHT_TASKS_IMMEDIATE)", err=True)
        sys.exit(2)
    click.echo(f"Callwright worker for {root}: queue {config.where}, {workers} "
               f"thread{'s' if workers > 1 else ''}, periodic jobs "
               f"{'on' if periodic else 'off'}; stop with Ctrl+C or SIGTERM.", err=True)
    consumer = tasks.huey.create_consumer(workers=workers, worker_type="thread",
                                          periodic=periodic, initial_delay=0.1, backoff=1.15,
                                          max_delay=MAX_POLL_S, check_worker_health=True)
    consumer.run()
