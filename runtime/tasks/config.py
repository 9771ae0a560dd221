"""Where a workspace's task queue lives and how its tasks retry, read from its settings.

`RedisHuey` when `[storage] redis_url` (or `CALLWRIGHT_STORAGE_REDIS_URL`) is set, `SqliteHuey`
on `<workspace>/.callwright/tasks.sqlite3` (or `CALLWRIGHT_TASKS_SQLITE`) otherwise. Huey
delivers at most once; the delivery ledger and the periodic re-enqueue make every task
idempotent and recoverable, and production Redis keeps an append-only file.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.storage import SqliteStorage

from blocks.sdk import ConfigurationError
from runtime.errors import EngineError
from runtime.redaction import redacted
from runtime.workspace.settings import load_settings

QUEUE_NAME = "callwright"  # Redis keys are huey.redis.callwright, huey.schedule.callwright...
# outbound calls have their own queue, worked by the voice nodes: the process that owns the
# lines places the calls on them, whatever process queued them
LINES_QUEUE = "callwright.lines"
SQLITE_ENV = "CALLWRIGHT_TASKS_SQLITE"
DEFAULT_RETRIES = 5
DEFAULT_RETRY_DELAY_S = 2.0
RETRY_BACKOFF = 2.0
# A delivery in `sending` whose worker has not renewed it for this long was interrupted (its
# worker died): the sending worker renews it every quarter of it (runtime.tasks.heartbeats), so
# a slow send keeps its lease, and a killed worker's message is sent again within seconds.
LEASE_S = 10.0
# A delivery due this long ago whose attempt never started was lost from the queue; a busy
# queue may hold a task minutes, so this is long (queueing it twice only costs a skipped run).
OVERDUE_S = 300.0
REDIS_PIN = "redis==8.1.0"


class QueueUnavailable(EngineError):
    """The task queue cannot take work now (Redis down, SQLite file unwritable)."""

    code = "queue_unavailable"


@dataclass(frozen=True)
class TaskConfig:
    """Where the queue lives and what its tasks read from the workspace's settings."""

    root: Path
    redis_url: str | None
    sqlite_path: Path
    database_url: str
    sessions_url: str
    immediate: bool
    migrate: bool
    retries: int
    retry_delay_s: float
    lease_s: float = LEASE_S
    overdue_s: float = OVERDUE_S
    settings: dict = field(default_factory=dict, hash=False)

    @property
    def where(self) -> str:
        """Return where the queue lives, for messages (a Redis URL without its password)."""
        if self.immediate:
            return "the calling process (immediate mode)"
        if self.redis_url:
            return redacted(self.redis_url)
        return str(self.sqlite_path)


def task_config(root: str | Path, settings: dict | None = None,
                environ: Mapping[str, str] = os.environ) -> TaskConfig:
    """Return the queue's configuration for a workspace folder (settings read when not given)."""
    folder = Path(root).absolute()
    if settings is None:
        settings = load_settings(folder, environ)
    storage, tasks = settings.get("storage", {}), settings.get("tasks", {})
    data = folder / ".callwright"
    return TaskConfig(
        root=folder,
        redis_url=storage.get("redis_url") or None,
        sqlite_path=Path(environ.get(SQLITE_ENV) or data / "tasks.sqlite3"),
        database_url=storage.get("database_url") or f"sqlite:///{data / 'callwright.sqlite3'}",
        sessions_url=storage.get("sessions_url") or f"sqlite:///{data / 'sessions.sqlite3'}",
        immediate=bool(tasks.get("immediate", False)),
        migrate=bool(storage.get("migrate", True)),
        retries=int(tasks.get("retries", DEFAULT_RETRIES)),
        retry_delay_s=float(tasks.get("retry_delay_s", DEFAULT_RETRY_DELAY_S)),
        lease_s=float(tasks.get("lease_s", LEASE_S)),
        overdue_s=float(tasks.get("overdue_s", OVERDUE_S)),
        settings=settings)


class SqliteTaskStorage(SqliteStorage):
    """Huey's SQLite storage, making its folder and tables on first use rather than at import."""

    def __init__(self, name: str = QUEUE_NAME, filename: str = "tasks.sqlite3",
                 **kwargs: Any) -> None:
        super().__init__(name, filename, create_tables=False, **kwargs)

    def _create_connection(self) -> sqlite3.Connection:
        """Open the file (creating its folder) and make sure the queue's tables exist."""
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        conn = super()._create_connection()
        for statement in self.ddl:
            conn.execute(statement)
        return conn


    def enqueue_all(self, items: list[bytes]) -> None:
        """Put several serialised tasks on the queue in one transaction (one sync, not one each)."""
        with self.db(commit=True) as cursor:
            cursor.executemany("insert into task (queue, data, priority) values (?, ?, 0)",
                               [(self.name, self.to_blob(data)) for data in items])


class SqliteTaskHuey(SqliteHuey):
    """The embedded queue: a SqliteHuey whose file appears only when work is queued."""

    storage_class = SqliteTaskStorage


def kind_for(config: TaskConfig) -> tuple[type[Huey], dict]:
    """Return the Huey class (RedisHuey or SqliteHuey) and storage arguments a config calls for."""
    if config.redis_url:
        return RedisHuey, {"connection_pool": _redis_pool(config.redis_url)}
    return SqliteTaskHuey, {"filename": str(config.sqlite_path)}


def build_huey(config: TaskConfig, name: str = QUEUE_NAME) -> Huey:
    """Return a Huey instance for a configuration: RedisHuey or SqliteHuey, maybe immediate."""
    kind, kwargs = kind_for(config)
    return kind(name, immediate=config.immediate, **kwargs)


def _redis_pool(url: str) -> Any:
    """Return a connection pool for a Redis URL; fail clearly when redis-py is missing."""
    try:
        import redis
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry
    except ImportError:
        raise ConfigurationError(f"[storage] redis_url is set but the redis package is not "
                                 f"installed: pip install {REDIS_PIN}") from None
    try:
        # A short connect timeout and two quick retries: a producer learns within a second that
        # Redis is down, yet rides over a brief restart.
        return redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=10,
                                             retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2))
    except ValueError as exc:
        raise ConfigurationError(f"[storage] redis_url {redacted(url)!r}: {exc}") from None


def storage_errors() -> tuple[type[BaseException], ...]:
    """Return the exceptions that mean the queue's storage cannot be reached."""
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
    try:
        from redis.exceptions import RedisError
    except ImportError:
        return errors
    return errors + (RedisError,)
