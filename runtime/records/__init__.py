"""The records database (SQLAlchemy: SQLite by default, PostgreSQL by URL): one schema, migrated.

It holds the execution log, the recordings index, the delivery ledger, campaigns and roll-ups; `schema` is every
table, `database` opens it and runs its migrations.
"""

from . import schema
from .database import RecordsDatabase, SchemaBehind, ensure_current, head, open_engine, revision, upgrade
from .executions import ExecutionLog, not_simulated
from .recordings import RecordingStore, StoredRecording

__all__ = ["ExecutionLog", "not_simulated", "RecordingStore", "RecordsDatabase", "SchemaBehind",
           "StoredRecording", "ensure_current", "head", "open_engine", "revision", "schema",
           "upgrade"]
