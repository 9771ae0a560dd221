"""SMS: the opt-outs table and the segment count of each delivery.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `opt_outs` and add `deliveries.segments`."""
    op.create_table(
        "opt_outs",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("keyword", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("segments", sa.Integer))


def downgrade() -> None:
    """Drop `deliveries.segments` and `opt_outs`."""
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("segments")
    op.drop_table("opt_outs")
