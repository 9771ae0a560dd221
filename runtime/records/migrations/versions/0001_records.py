"""The records database as it stood before migrations: steps, roll-ups, deliveries, campaigns.

Databases made by earlier releases (tables created at first use) already hold these tables:
each is created only when missing, and the revision is then recorded, so they join the
migrated history as they are.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables and indexes that are missing."""
    op.create_table(
        "steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("turn", sa.Integer, nullable=False),
        sa.Column("flow_id", sa.String(128), nullable=False),
        sa.Column("block", sa.String(128), nullable=False),
        sa.Column("exit", sa.String(128)),
        sa.Column("ms", sa.Float, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("at", sa.Float, nullable=False),
        if_not_exists=True)
    op.create_index("ix_steps_session_id", "steps", ["session_id"], if_not_exists=True)
    op.create_table(
        "step_rollups",
        sa.Column("flow_id", sa.String(128), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("steps", sa.Integer, nullable=False),
        sa.Column("sessions", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        if_not_exists=True)
    op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
        if_not_exists=True)
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("delivered_at", sa.Float),
        if_not_exists=True)
    op.create_index("ix_deliveries_state", "deliveries", ["state"], if_not_exists=True)
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("flow_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("from", sa.String(256)),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("window", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        if_not_exists=True)
    op.create_table(
        "campaign_contacts",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("to", sa.String(256), nullable=False),
        sa.Column("vars", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("execution", sa.String(64)),
        sa.Column("disposition", sa.String(128)),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", sa.Float, nullable=False),
        if_not_exists=True)
    op.create_index("ix_campaign_contacts_state", "campaign_contacts", ["state"],
                    if_not_exists=True)


def downgrade() -> None:
    """Drop every table of the records database."""
    for table in ("campaign_contacts", "campaigns", "deliveries", "rollup_marks", "step_rollups",
                  "steps"):
        op.drop_table(table)
