"""The recordings index: what `record` blocks took, with the path of each WAV file.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the recordings table and its indexes."""
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(128), nullable=False),
        sa.Column("block", sa.String(128), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("path", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False))
    op.create_index("ix_recordings_session_id", "recordings", ["session_id"])
    op.create_index("ix_recordings_created_at", "recordings", ["created_at"])
    op.create_index("ix_recordings_flow_created", "recordings", ["flow_id", "created_at"])


def downgrade() -> None:
    """Drop the recordings table."""
    op.drop_table("recordings")
