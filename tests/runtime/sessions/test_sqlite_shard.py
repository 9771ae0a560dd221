"""One file of the SQLite session store: who copies its write-ahead log back, and when."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from runtime.sessions.sqlite_shard import Shard

INSERT = ("INSERT INTO sessions (id, flow_id, status, rev, updated_at, data) "
          "VALUES (?, 'support', 'waiting', 1, 0, '{}')")


@pytest.fixture
def open_shard(tmp_path):
    """Return open(): Shard objects on one file, as the processes of `serve` each hold one."""
    opened: list[Shard] = []

    def open_() -> Shard:
        shard = Shard(str(tmp_path / "sessions.sqlite3"), 5.0)
        opened.append(shard)
        return shard
    yield open_
    for shard in opened:
        shard.close()


def in_database_file(path: Path) -> int:
    """Return how many sessions the database file holds without its WAL (copied back)."""
    alone = path.with_name("copy.sqlite3")
    alone.write_bytes(path.read_bytes())
    with closing(sqlite3.connect(alone)) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sessions'").fetchall():
            return 0  # even the table is only in the WAL yet
        return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]


def test_a_process_that_wrote_nothing_leaves_the_copying_to_the_one_that_wrote(open_shard,
                                                                              tmp_path):
    writer, reader = open_shard(), open_shard()
    for n in range(3):
        writer.execute(INSERT, (f"s{n}",))
    assert reader.read("SELECT COUNT(*) FROM sessions") == [(3,)]
    assert not reader.checkpoint_due(1, 0.0)
    reader.checkpoint()
    assert in_database_file(tmp_path / "sessions.sqlite3") == 0  # still in the WAL only
    assert writer.checkpoint_due(1, 0.0)
    writer.checkpoint()
    assert in_database_file(tmp_path / "sessions.sqlite3") == 3
    assert not writer.checkpoint_due(1, 0.0)  # nothing new since


def test_a_checkpoint_is_due_after_enough_writes_or_some_time_after_a_write(open_shard):
    shard = open_shard()
    assert not shard.checkpoint_due(3, 0.0)  # nothing written
    shard.execute(INSERT, ("a",))
    with shard.transaction() as conn:  # a transaction counts as one write
        conn.execute(INSERT, ("b",))
        conn.execute(INSERT, ("c",))
    assert not shard.checkpoint_due(3, 3600)
    shard.execute(INSERT, ("d",))
    assert shard.checkpoint_due(3, 3600)
    shard.checkpoint()
    shard.execute(INSERT, ("e",))
    assert not shard.checkpoint_due(3, 3600)
    time.sleep(0.05)
    assert shard.checkpoint_due(3, 0.04)


def test_a_checkpoint_held_back_by_a_reader_is_tried_again_after_the_time(open_shard, tmp_path):
    shard = open_shard()
    shard.execute(INSERT, ("a",))
    with closing(sqlite3.connect(tmp_path / "sessions.sqlite3")) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM sessions").fetchall()  # holds this snapshot
        shard.execute(INSERT, ("b",))  # a frame the reader's snapshot keeps from being copied
        shard.checkpoint()
        # not at once (a busy file is not copied over and over), but once the time has passed
        assert not shard.checkpoint_due(3, 3600)
        time.sleep(0.05)
        assert shard.checkpoint_due(3, 0.04)
        reader.execute("COMMIT")
    shard.checkpoint()
    assert not shard.checkpoint_due(1, 0.0)
    assert in_database_file(tmp_path / "sessions.sqlite3") == 2


def test_a_complete_checkpoint_starts_the_wal_over_so_that_no_save_has_to(open_shard, tmp_path):
    # the first write into a WAL started over syncs its header: the checkpointing thread takes
    # it, not the save on a worker's event loop that comes next
    shard = open_shard()
    for n in range(3):
        shard.execute(INSERT, (f"s{n}",))
    shard.checkpoint()
    with closing(sqlite3.connect(tmp_path / "sessions.sqlite3")) as other:
        # one frame (page 1, unchanged) where the three saves' frames were: started over
        assert other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone() == (0, 1, 1)
        assert other.execute("PRAGMA user_version").fetchone() == (0,)
    shard.execute(INSERT, ("s3",))
    assert shard.read("SELECT COUNT(*) FROM sessions") == [(4,)]
    assert in_database_file(tmp_path / "sessions.sqlite3") == 3
