"""Alembic's environment for the records database: migrations run on the connection handed in.

`runtime.records.database` opens the connection (and holds the migration lock); migrations never
open one themselves, so `callwright db upgrade` and a runtime's start migrate the same way.
"""

from __future__ import annotations

from alembic import context

from runtime.records.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the records migrations through runtime.records.database (or "
                       "`callwright db upgrade`), which hands Alembic a connection")
# render_as_batch: SQLite alters tables by copying them, which Alembic's batch mode does
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
