"""Contacts: one row per customer, their identities and their timeline across channels.

Revision ID: 0005_contacts
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_contacts"
down_revision = "0004"  # the recordings migration (file 0004_recordings.py)
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the contacts, contact_identities and contact_events tables."""
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("last_channel", sa.String(16)),
        sa.Column("last_seen", sa.Float),
        sa.Column("merged_into", sa.String(32)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False))
    op.create_index("ix_contacts_merged_into", "contacts", ["merged_into"])
    op.create_table(
        "contact_identities",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(320), primary_key=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False))
    op.create_index("ix_contact_identities_contact_id", "contact_identities", ["contact_id"])
    op.create_table(
        "contact_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(32), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8)),
        sa.Column("session_id", sa.String(64)),
        sa.Column("flow_id", sa.String(128)),
        sa.Column("text", sa.Text))
    op.create_index("ix_contact_events_session_id", "contact_events", ["session_id"])
    op.create_index("ix_contact_events_contact_at", "contact_events", ["contact_id", "at"])


def downgrade() -> None:
    """Drop the contact tables."""
    op.drop_table("contact_events")
    op.drop_table("contact_identities")
    op.drop_table("contacts")
