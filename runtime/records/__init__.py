"""The records database (SQLAlchemy: SQLite by default, PostgreSQL by URL): the execution log."""

from .executions import ExecutionLog

__all__ = ["ExecutionLog"]
