"""`callwright worker`: run the Huey consumer of a workspace's task queue in this process."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import click
from huey.api import Huey, Task

from blocks.sdk import ConfigurationError
from runtime import Runtime
from runtime.errors import EngineError
from runtime.tasks import watch_deliveries

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
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        # the runtime makes the workspace's queue from its settings and binds itself to it:
        # campaigns and calls run on its sessions, flows and ports
        runtime = Runtime.open(root)
    except (EngineError, ConfigurationError) as exc:  # bad callwright.toml, variables or Redis URL
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    queue = runtime.queue
    config = queue.config
    if config.immediate:
        runtime.close()
        click.echo("error: [tasks] immediate is true: tasks run where they are queued, so a "
                   "worker has nothing to do; unset it (or CALLWRIGHT_TASKS_IMMEDIATE)", err=True)
        sys.exit(2)
    take_files_live(runtime, queue.huey)
    click.echo(f"Callwright worker for {root}: queue {config.where}, {workers} "
               f"thread{'s' if workers > 1 else ''}, periodic jobs "
               f"{'on' if periodic else 'off'}; stop with Ctrl+C or SIGTERM.", err=True)
    # deliveries a killed worker left in `sending` go out again within seconds, not minutes
    stop = threading.Event()
    watcher = threading.Thread(target=watch_deliveries, args=(queue, stop), daemon=True,
                               name="delivery-recovery")
    watcher.start()
    try:
        queue.consumer(workers=workers, periodic=periodic, max_delay=MAX_POLL_S).run()
    finally:
        stop.set()
        watcher.join(timeout=5)
        runtime.close()


def take_files_live(runtime: Runtime, huey: Huey) -> None:
    """Reload the workspace before every task, so that what serve published since runs here."""
    # a campaign or call this process starts runs the live version of its flow, as a chat turn
    # in serve does; a reload that finds nothing changed costs a stat call per flow file
    @huey.pre_execute("take_files_live")
    def reload(task: Task) -> None:
        runtime.workspace.reload()
