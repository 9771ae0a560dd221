"""The records database's one schema: every table, in one MetaData; changed only by a migration.

SQLite by default, PostgreSQL by URL (`[storage] database_url`). Each change to a table here
comes with a migration in `runtime/records/migrations/versions/`, and the suite checks that the
migrated database and this MetaData agree, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text)

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
    Column("segments", Integer),  # the SMS parts a delivered text took (runtime.channels.segments)
)

# Addresses that opted out of a messaging channel (STOP) or back in (START), one row each
# (runtime.messaging.optouts): `send`, replies and campaigns send nothing to an opted-out one.
opt_outs = Table(
    "opt_outs", metadata,
    Column("channel", String(16), primary_key=True),
    Column("address", String(64), primary_key=True),  # E.164 on sms
    Column("opted_out", Boolean, nullable=False),
    Column("keyword", String(32), nullable=False),  # what the contact sent last: STOP, СТАРТ...
    Column("changed_at", Float, nullable=False),
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

# The published versions of every flow: immutable, numbered per flow (builder's flow store).
flow_versions = Table(
    "flow_versions", metadata,
    Column("flow_id", String(128), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("content_hash", String(64), nullable=False),  # runtime.engine.flow_version of it
    Column("document", Text, nullable=False),  # the flow as published, in the stable form
    Column("author", String(256)),  # "Name <email>" of a user, a token's name, or git's author
    Column("note", Text),
    Column("source", String(16), nullable=False),  # editor, rollback, git (changed on disk)
    Column("commit_sha", String(64)),  # the git commit that published it, in a git workspace
    Column("created_at", Float, nullable=False),
)

# One row per session, kept by the execution log on every turn: what lists executions per flow.
executions = Table(
    "executions", metadata,
    Column("session_id", String(64), primary_key=True),
    Column("flow_id", String(128), nullable=False),
    Column("flow_version", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # running, waiting, queued, ended
    Column("disposition", String(128)),
    Column("turns", Integer, nullable=False),
    Column("steps", Integer, nullable=False),
    Column("simulation", Boolean, nullable=False),  # a session of the editor's simulator
    Column("started_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_executions_flow_updated", "flow_id", "updated_at"),
)

# People who sign in to the editor and API, one role each (builder.auth).
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # admin, editor, viewer
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("display_name", String(128)),
    Column("email", String(256)),
    Column("language", String(16), nullable=False),  # the editor's language: en, ru
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# API tokens for scripts and CI, each with a role; only a hash of the secret is kept.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", String(32), primary_key=True),  # the public part: cw_<id>_<secret>
    Column("name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),  # SHA-256 of the secret, hex
    Column("created_by", String(64)),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
)

# Signed-in browsers: the cookie holds a random id, the table its hash and the CSRF token.
web_sessions = Table(
    "web_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# Failed sign-ins per user and address, per address: what the rate limit counts.
sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("key", String(384), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("last_at", Float, nullable=False),
)

# Who saved, published, rolled back, deleted, signed in and changed users: when and what.
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("actor", String(128), nullable=False),  # a user's name, a token's name, "local"
    Column("actor_kind", String(16), nullable=False),  # user, token, local, system
    Column("action", String(32), nullable=False, index=True),
    Column("target_kind", String(32), nullable=False),  # flow, user, token, session
    Column("target_id", String(128)),
    Column("detail", Text, nullable=False),  # JSON object
    Column("address", String(64)),
)

# What `record` blocks took: one row per recording; the audio, when the backend keeps it, is a
# WAV file under the workspace (runtime.records.recordings).
recordings = Table(
    "recordings", metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(64), nullable=False, index=True),
    Column("flow_id", String(128), nullable=False),
    Column("block", String(128), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("path", Text),  # relative to the workspace; NULL: the backend kept no audio (emulator)
    Column("created_at", Float, nullable=False, index=True),
    Index("ix_recordings_flow_created", "flow_id", "created_at"),
)

# Contacts: one row per customer (runtime.contacts). A contact merged into another keeps its row
# with `merged_into` set, so its old id still answers with where it went.
contacts = Table(
    "contacts", metadata,
    Column("id", String(32), primary_key=True),
    Column("attributes", Text, nullable=False),  # JSON object
    Column("last_channel", String(16)),
    Column("last_seen", Float),
    Column("merged_into", String(32), index=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
# How a contact is recognised: E.164 phone numbers, e-mail addresses, chat visitor ids, a CRM id;
# an identity belongs to one contact at a time.
contact_identities = Table(
    "contact_identities", metadata,
    Column("kind", String(16), primary_key=True),  # phone, email, chat, crm_id
    Column("value", String(320), primary_key=True),
    Column("contact_id", String(32), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
)
# A contact's timeline: every session, message and disposition on every channel.
contact_events = Table(
    "contact_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("contact_id", String(32), nullable=False),
    Column("at", Float, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # session, message, disposition
    Column("direction", String(8)),  # in (from the contact), out (to the contact); messages only
    Column("session_id", String(64), index=True),
    Column("flow_id", String(128)),
    Column("text", Text),
    Index("ix_contact_events_contact_at", "contact_id", "at"),
)
