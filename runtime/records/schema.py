"""The records database's one schema: every table, in one MetaData; changed only by a migration.

SQLite by default, PostgreSQL by URL (`[storage] database_url`). Each change to a table here
comes with a migration in `runtime/records/migrations/versions/`, and the suite checks that the
migrated database and this MetaData agree, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

# Stable constraint and index names, the same on every database, so migrations can name them
# (SQLite's batch migrations need names). Primary keys keep each database's own names, as the
# databases made before migrations existed have them.
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
})

# The execution log: every step of every session (runtime.records.executions).
steps = Table(
    "steps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(64), nullable=False, index=True),
    Column("turn", Integer, nullable=False),
    Column("flow_id", String(128), nullable=False),
    Column("block", String(128), nullable=False),
    Column("exit", String(128)),
    Column("ms", Float, nullable=False),
    Column("changes", Text, nullable=False),
    Column("note", Text),
    Column("at", Float, nullable=False),
)

# Per-flow, per-day totals of the step log (runtime.tasks.periodic).
step_rollups = Table(
    "step_rollups", metadata,
    Column("flow_id", String(128), primary_key=True),
    Column("day", String(10), primary_key=True),  # ISO date, UTC
    Column("steps", Integer, nullable=False),
    Column("sessions", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
)
rollup_marks = Table(
    "rollup_marks", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),  # the last step id rolled up
)

# The delivery ledger: one row per idempotency key of a message or callback (runtime.tasks.ledger).
deliveries = Table(
    "deliveries", metadata,
    Column("key", String(255), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("due_at", Float, nullable=False),  # when the next attempt should start (pending)
    Column("delivered_at", Float),
)

# Campaigns and their contacts (runtime.campaigns).
campaigns = Table(
    "campaigns", metadata,
    Column("id", String(64), primary_key=True),
    Column("flow_id", String(128), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("from", String(256)),
    Column("concurrency", Integer, nullable=False),
    Column("window", Text),  # JSON {timezone, start, end, days} or NULL: always open
    Column("status", String(16), nullable=False),  # running, done, cancelled
    Column("created_at", Float, nullable=False),
)
campaign_contacts = Table(
    "campaign_contacts", metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("to", String(256), nullable=False),
    Column("vars", Text, nullable=False),
    Column("state", String(16), nullable=False, index=True),  # pending, started, done, failed
    Column("execution", String(64)),
    Column("disposition", String(128)),
    Column("error", Text),
    Column("updated_at", Float, nullable=False),
)
