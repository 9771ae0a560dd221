"""The records database: one schema, brought to the newest migration, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, insert, inspect, select, text

from blocks.sdk import ConfigurationError
from runtime.records import RecordsDatabase, SchemaBehind, head, open_engine, revision, upgrade
from runtime.records.database import alembic_config
from runtime.records.schema import metadata


# the tables earlier releases created at first use, before the first migration
BEFORE_MIGRATIONS = ("steps", "step_rollups", "rollup_marks", "deliveries", "campaigns",
                     "campaign_contacts")
# columns that later migrations added to those tables
ADDED_LATER = {"deliveries": ("segments",)}


def differences(engine) -> list:
    """Return how a database's tables differ from the schema's MetaData (Alembic's comparison)."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_a_new_database_is_migrated_to_the_newest_revision_and_matches_the_schema(records_url):
    records = RecordsDatabase(records_url)
    try:
        assert revision(records.engine) == head()
        assert set(inspect(records.engine).get_table_names()) == set(metadata.tables) | {
            "alembic_version"}
        assert differences(records.engine) == []
    finally:
        records.close()


def test_opening_a_migrated_database_again_changes_nothing(records_url):
    RecordsDatabase(records_url).close()
    engine = open_engine(records_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(metadata.tables["rollup_marks"]).values(name="steps", value=7))
        assert upgrade(engine) == head()
        with engine.connect() as conn:
            assert conn.execute(select(metadata.tables["rollup_marks"].c.value)).scalar() == 7
    finally:
        engine.dispose()


def test_a_database_made_before_migrations_is_adopted_with_its_rows(records_url):
    # what earlier releases did: the tables created at first use, no migration recorded
    engine = open_engine(records_url)
    try:
        old = MetaData()
        for name in BEFORE_MIGRATIONS:
            metadata.tables[name].to_metadata(old)
        old.create_all(engine)
        with engine.begin() as conn:
            for name, columns in ADDED_LATER.items():
                for column in columns:
                    conn.execute(text(f"ALTER TABLE {name} DROP COLUMN {column}"))
            conn.execute(insert(old.tables["campaigns"]).values(
                id="c1", flow_id="reminder", channel="sms", concurrency=2, status="running",
                created_at=1.0))
        assert revision(engine) is None
        assert upgrade(engine) == head()
        with engine.connect() as conn:
            assert conn.execute(select(old.tables["campaigns"].c.id)).scalars().all() == ["c1"]
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_the_migrations_go_down_and_up_again(records_url):
    engine = open_engine(records_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert revision(engine) is None
        assert inspect(engine).get_table_names() == ["alembic_version"]
        assert upgrade(engine) == head()
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_a_runtime_told_not_to_migrate_refuses_a_database_that_is_behind(records_url):
    with pytest.raises(SchemaBehind, match=r"needs .*: run `callwright db upgrade`"):
        RecordsDatabase(records_url, migrate=False)
    RecordsDatabase(records_url).close()
    RecordsDatabase(records_url, migrate=False).close()  # up to date: opens


def test_processes_opening_a_new_database_at_once_migrate_it_once(records_url):
    # the race that made two first requests fail with "table campaigns already exists"
    code = ("import sys\nfrom runtime.records import RecordsDatabase, revision\n"
            "records = RecordsDatabase(sys.argv[1])\nprint(revision(records.engine))\n"
            "records.close()\n")
    env = {**os.environ}
    starts = [subprocess.Popen([sys.executable, "-c", code, records_url], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(4)]
    outcomes = [process.communicate(timeout=120) for process in starts]
    assert [process.returncode for process in starts] == [0] * 4, outcomes
    assert {out.strip() for out, _ in outcomes} == {head()}
    engine = open_engine(records_url)
    try:
        assert differences(engine) == []
        version = Table("alembic_version", MetaData(), autoload_with=engine)
        with engine.connect() as conn:
            assert conn.execute(select(version)).all() == [(head(),)]
    finally:
        engine.dispose()


def test_an_unknown_database_driver_is_a_configuration_error_saying_what_to_install():
    with pytest.raises(ConfigurationError,
                       match=r"\[storage\] database_url 'nosuch://x' cannot be opened"):
        open_engine("nosuch://x")


def test_a_password_never_appears_in_the_message():
    with pytest.raises(ConfigurationError) as caught:
        open_engine("nosuch://user:secret@db.example/records")
    assert "secret" not in str(caught.value) and "user:***@db.example" in str(caught.value)
