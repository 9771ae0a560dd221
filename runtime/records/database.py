"""Opening the records database and bringing its schema to the newest migration (Alembic).

A runtime upgrades the database when it opens it (`[storage] migrate`, default true), so a new
release's tables exist before the first request; operators who run migrations themselves set it
false and run `callwright db upgrade`, and a runtime then refuses a database that is behind.
Processes that open the same database at once migrate it one at a time: PostgreSQL takes an
advisory lock, SQLite a lock file beside the database.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from blocks.sdk import ConfigurationError
from runtime.redaction import redacted

MIGRATIONS = "runtime.records:migrations"
# pg_advisory_lock key of the migration: any fixed 64-bit number, the same in every process
_PG_LOCK_KEY = 0x63_61_6C_6C_77_72_69_67  # "callwrig"
_memory_lock = threading.Lock()
DRIVER_HINTS = {"postgresql": "pip install 'callwright[postgres]' (psycopg)"}


class SchemaBehind(ConfigurationError):
    """The database is not at the newest migration and the runtime was told not to migrate."""


def open_engine(url: str) -> Engine:
    """Return an engine for a database URL; an SQLite file's folder is made and tuned."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        scheme = url.partition(":")[0].partition("+")[0]
        hint = DRIVER_HINTS.get(scheme, "use sqlite:///PATH or postgresql+psycopg://...")
        raise ConfigurationError(f"[storage] database_url {redacted(url)!r} cannot be opened: "
                                 f"{exc}; {hint}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Use WAL and wait for locks: serve workers and task workers share the file."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def alembic_config(connection: Connection | None = None) -> Config:
    """Return the Alembic configuration of the records migrations, bound to a connection."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """Return the newest migration's revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision(engine: Engine) -> str | None:
    """Return the revision a database is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> str | None:
    """Bring a database to a migration (the newest by default), one process at a time."""
    with _migration_lock(engine):
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), target)
    return revision(engine)


def ensure_current(engine: Engine, *, migrate: bool) -> None:
    """Upgrade a database that is behind, or refuse it when migrating is left to the operator."""
    newest = head()
    found = revision(engine)
    if found == newest:
        return
    if migrate:
        upgrade(engine)
        return
    raise SchemaBehind(f"the records database is at revision {found or 'none (empty)'}, this "
                       f"release needs {newest}: run `callwright db upgrade` (or set "
                       f"[storage] migrate = true to migrate at start)")


class RecordsDatabase:
    """A process's handle on the records database: one engine, its schema at the newest migration."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = open_engine(url)
        try:
            ensure_current(self.engine, migrate=migrate)
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Release the database's connections."""
        self.engine.dispose()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock: only one process migrates at a time."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        with _memory_lock:
            yield
        return
    lock_file = Path(database).with_name(Path(database).name + ".migrate-lock")
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["RecordsDatabase", "SchemaBehind", "alembic_config", "ensure_current", "head", "open_engine",
           "revision", "upgrade"]
