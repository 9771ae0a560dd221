"""The SQLite store spreads sessions over shard files that every process routes to alike."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import pytest

import runtime.sessions.sqlite as sqlite_store
from blocks.sdk import ConfigurationError
from runtime.sessions.session import Session
from runtime.sessions import SqliteSessionStore, StaleSession
from runtime.sessions.sqlite import message_shard, session_shard, shard_path

CONTACT = "+4915112345678"


def session(session_id: str | None = None, **changes) -> Session:
    """Return a waiting SMS session of CONTACT on the flow `support`."""
    base = dict(id=session_id or Session.new_id(), flow_id="support", flow_version="v1",
                channel="sms", block="menu", vars={"n": 1},
                contact={"from": CONTACT, "to": "+4930999000"}, trigger={}, status="waiting")
    return Session(**{**base, **changes})


def id_in_shard(index: int, shards: int) -> str:
    """Return a new session id that lands in shard `index` of `shards`."""
    for _ in range(100 * shards):
        candidate = Session.new_id()
        if session_shard(candidate, shards) == index:
            return candidate
    raise AssertionError(f"no id found for shard {index} of {shards}")


def rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read one shard file directly, as another program would."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def index_entries(store_path: Path, shards: int, address: str = CONTACT) -> list[tuple]:
    """Return every conversation index row of an address, whichever shard holds it."""
    return [row for index in range(shards)
            for row in rows(shard_path(store_path, index), "SELECT session_id, updated_at FROM "
                            "conversations WHERE address = ?", (address,))]


@pytest.fixture
def open_store(tmp_path):
    """Return open(shards=8, path=tmp/sessions.sqlite3): stores closed after the test."""
    opened: list[SqliteSessionStore] = []

    def open_(shards: int = 8, path: Path | None = None) -> SqliteSessionStore:
        store = SqliteSessionStore(path or tmp_path / "sessions.sqlite3", shards=shards)
        opened.append(store)
        return store
    yield open_
    for store in opened:
        store.close()


def test_shard_files_are_named_after_the_store_with_their_number_before_the_suffix():
    assert shard_path(Path("d/sessions.sqlite3"), 0) == Path("d/sessions.sqlite3")
    assert shard_path(Path("d/sessions.sqlite3"), 7) == Path("d/sessions-7.sqlite3")
    assert shard_path(Path("d/sessions"), 3) == Path("d/sessions-3")


def test_sessions_are_spread_over_the_shard_files_each_in_the_one_its_id_names(open_store,
                                                                              tmp_path):
    store = open_store(shards=4)
    saved = [session(contact={}) for _ in range(40)]
    for one in saved:
        store.save(one)
    assert sorted(p.name for p in tmp_path.glob("sessions*.sqlite3")) == [
        "sessions-1.sqlite3", "sessions-2.sqlite3", "sessions-3.sqlite3", "sessions.sqlite3"]
    by_file = {index: {row[0] for row in rows(shard_path(tmp_path / "sessions.sqlite3", index),
                                              "SELECT id FROM sessions")}
               for index in range(4)}
    assert all(by_file.values())  # 40 random ids leave no file empty (odds 4 x 0.75^40)
    assert by_file == {index: {one.id for one in saved if session_shard(one.id, 4) == index}
                       for index in range(4)}
    assert all(store.get(one.id) == one for one in saved)


def test_two_stores_on_one_path_share_sessions_and_only_one_concurrent_turn_wins(open_store):
    first, second = open_store(), open_store()
    original = session()
    first.save(original)
    assert second.get(original.id) == original
    copies = [store.get(original.id) for store in (first, second) for _ in range(4)]
    stores = [first] * 4 + [second] * 4
    barrier = threading.Barrier(len(copies))
    wins, losses = [], []

    def turn(store: SqliteSessionStore, copy: Session) -> None:
        """Save a copy at the same moment as the other turns."""
        barrier.wait()
        try:
            store.save(copy)
            wins.append(copy)
        except StaleSession:
            losses.append(copy)

    threads = [threading.Thread(target=turn, args=pair) for pair in zip(stores, copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(wins) == 1 and len(losses) == 7
    assert first.get(original.id).rev == second.get(original.id).rev == 2


def test_a_waiting_session_is_found_whatever_shard_it_is_in(open_store):
    store = open_store(shards=8)
    waiting = [session(id_in_shard(index, 8), contact={"from": f"+49151000000{index}"})
               for index in range(8)]
    for one in waiting:
        store.save(one)
    for one in waiting:
        assert store.open_session("sms", one.contact["from"], "support") == one.id


@pytest.mark.parametrize("older_shard, newer_shard", [(1, 5), (5, 1), (3, 3)])
def test_the_newest_of_two_waiting_sessions_wins_and_takes_the_older_one_with_it(
        open_store, tmp_path, older_shard, newer_shard):
    store = open_store(shards=8)
    older, newer = session(id_in_shard(older_shard, 8)), session(id_in_shard(newer_shard, 8))
    store.save(older)
    store.save(newer)
    assert store.open_session("sms", CONTACT, "support") == newer.id
    newer.status = "ended"
    store.save(newer)  # the older one was replaced: it is not found in the newer one's place
    assert store.open_session("sms", CONTACT, "support") is None
    assert index_entries(tmp_path / "sessions.sqlite3", 8) == []
    store.save(older)  # until it is saved waiting again: the newest of the contact once more
    assert store.open_session("sms", CONTACT, "support") == older.id


def test_the_older_of_two_waiting_sessions_going_leaves_the_newer_one_found(open_store, tmp_path):
    store = open_store(shards=8)
    older, newer = session(id_in_shard(6, 8)), session(id_in_shard(2, 8))
    store.save(older)
    store.save(newer)
    store.delete(older.id)
    assert store.open_session("sms", CONTACT, "support") == newer.id
    store.delete(newer.id)
    assert store.open_session("sms", CONTACT, "support") is None
    assert index_entries(tmp_path / "sessions.sqlite3", 8) == []


def put_entry(store_path: Path, index: int, session_id: str, updated_at: float) -> None:
    """Write an index entry of CONTACT into shard `index` directly, as another process would."""
    with closing(sqlite3.connect(shard_path(store_path, index))) as conn:
        conn.execute("INSERT INTO conversations VALUES ('sms', ?, 'support', ?, ?)",
                     (CONTACT, session_id, updated_at))
        conn.commit()


def test_an_older_entry_left_behind_is_outranked_by_the_newer_one(open_store, tmp_path):
    store = open_store(shards=8)
    newer = session(id_in_shard(2, 8))
    store.save(newer)
    put_entry(tmp_path / "sessions.sqlite3", 6, "left-behind", newer.updated_at - 60)
    assert store.open_session("sms", CONTACT, "support") == newer.id


def test_a_session_that_stops_waiting_drops_only_the_older_entries_of_its_contact(open_store,
                                                                                  tmp_path):
    store = open_store(shards=8)
    waiting = session(id_in_shard(3, 8))
    store.save(waiting)
    put_entry(tmp_path / "sessions.sqlite3", 5, "older", waiting.updated_at - 60)
    put_entry(tmp_path / "sessions.sqlite3", 6, "newer", waiting.updated_at + 60)
    waiting.status = "ended"
    store.save(waiting)
    assert [entry[0] for entry in index_entries(tmp_path / "sessions.sqlite3", 8)] == ["newer"]


def test_reopening_with_another_shard_count_keeps_the_recorded_one(open_store, tmp_path,
                                                                  caplog):
    first = open_store(shards=4)
    saved = [session(contact={"from": f"+4915100000{n:02d}"}) for n in range(20)]
    for one in saved:
        first.save(one)
    for n in range(20):
        first.claim_message("sms", f"m-{n}")
        first.settle_message("sms", f"m-{n}", saved[n].id)
    first.close()
    with caplog.at_level(logging.WARNING, logger="runtime.sessions.sqlite"):
        again = open_store(shards=8)
    assert again.shards == 4 and "has 4 shards since its creation" in caplog.text
    assert not shard_path(tmp_path / "sessions.sqlite3", 4).exists()
    for n, one in enumerate(saved):
        assert again.get(one.id) == one
        assert again.open_session("sms", one.contact["from"], "support") == one.id
        assert again.claim_message("sms", f"m-{n}") == one.id
    assert open_store(shards=1).shards == 4


def test_a_bad_shard_count_is_refused_naming_the_store(open_store, tmp_path):
    with pytest.raises(ConfigurationError, match="shards must be a whole number from 1, not 0"):
        SqliteSessionStore(tmp_path / "bad.sqlite3", shards=0)
    open_store(shards=2).close()
    with closing(sqlite3.connect(tmp_path / "sessions.sqlite3")) as conn:
        conn.execute("UPDATE meta SET value = 'two' WHERE key = 'shards'")
        conn.commit()
    with pytest.raises(ConfigurationError, match=r"sessions\.sqlite3: table meta says shards = "):
        open_store(shards=2)


def test_expiry_covers_every_shard(open_store, tmp_path):
    store = open_store(shards=4)
    saved = [session(contact={"from": f"+4915100000{n:02d}"}) for n in range(30)]
    for one in saved:
        store.save(one)
    for n in range(30):
        store.claim_message("sms", f"m-{n}")
    assert {session_shard(one.id, 4) for one in saved} == {0, 1, 2, 3}
    assert store.expire(before=time.time() + 1) == 30
    assert all(store.get(one.id) is None for one in saved)
    for index in range(4):
        path = shard_path(tmp_path / "sessions.sqlite3", index)
        for table in ("sessions", "conversations", "inbound_messages"):
            assert rows(path, f"SELECT COUNT(*) FROM {table}") == [(0,)]


def test_expiry_finds_old_sessions_by_id_range_and_legacy_ids_by_a_partial_index(open_store,
                                                                                 tmp_path):
    open_store(shards=1)
    path = tmp_path / "sessions.sqlite3"
    by_id = rows(path, f"EXPLAIN QUERY PLAN {sqlite_store._EXPIRE_BY_ID}", ("0", 0, 1))
    assert any("USING COVERING INDEX sqlite_autoindex_sessions_1 (id<?)" in row[-1]
               or "USING INDEX sqlite_autoindex_sessions_1 (id<?)" in row[-1] for row in by_id)
    legacy = rows(path, f"EXPLAIN QUERY PLAN {sqlite_store._EXPIRE_LEGACY}", (0, 1))
    assert any("USING INDEX sessions_legacy_expiry (updated_at<?)" in row[-1]
               for row in legacy), legacy


def test_expiry_deletes_exactly_the_sessions_last_saved_before_the_moment(open_store,
                                                                          monkeypatch):
    store = open_store(shards=2)
    now = time.time()

    def saved_at(when: float, one: Session) -> Session:
        monkeypatch.setattr(time, "time", lambda: when)
        monkeypatch.setattr(time, "time_ns", lambda: int(when * 1e9))
        store.save(one)
        return one

    def made_at(when: float, session_id: str | None = None) -> Session:
        monkeypatch.setattr(time, "time_ns", lambda: int(when * 1e9))
        return session(session_id, contact={})

    old = saved_at(now - 1000, made_at(now - 1000))
    old_legacy = saved_at(now - 1000, made_at(now - 1000, "legacy-" + "0" * 25))
    kept_alive = saved_at(now - 1000, made_at(now - 1000))
    saved_at(now, kept_alive)  # made long ago, saved again since
    new = saved_at(now, made_at(now))
    new_legacy = saved_at(now, made_at(now, uuid.uuid4().hex))
    assert store.expire(before=now - 500) == 2
    assert [store.get(one.id) is not None for one in (old, old_legacy, kept_alive, new,
                                                      new_legacy)] == [False, False, True,
                                                                       True, True]


def test_expiry_deletes_in_batches_until_none_is_left(open_store, monkeypatch):
    monkeypatch.setattr(sqlite_store, "EXPIRE_BATCH", 3)
    store = open_store(shards=1)
    saved = [session(contact={}) for _ in range(10)]
    for one in saved:
        store.save(one)
    assert store.expire(before=time.time() + 1) == 10
    assert all(store.get(one.id) is None for one in saved)


def test_a_file_with_a_former_expiry_index_gets_the_partial_one_instead(open_store, tmp_path):
    path = tmp_path / "sessions.sqlite3"
    store = open_store(shards=1, path=path)
    store.close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP INDEX sessions_legacy_expiry")
        conn.execute("CREATE INDEX sessions_updated ON sessions(status, updated_at)")
        conn.execute("CREATE INDEX sessions_expiry ON sessions(updated_at)")
    open_store(shards=1, path=path)
    assert rows(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                      "'sessions' AND sql IS NOT NULL") == [("sessions_legacy_expiry",)]


def test_the_write_ahead_log_is_copied_back_and_started_over_while_saves_go_on(open_store,
                                                                               tmp_path):
    store = open_store(shards=1)
    wal = tmp_path / "sessions.sqlite3-wal"
    big = {"notes": "x" * 3000}  # about one page per save besides the index pages
    for _ in range(3000):
        store.save(session(contact={}, vars=big))
    page = rows(tmp_path / "sessions.sqlite3", "PRAGMA page_size")[0][0]
    # a save checkpoints at 1,000 pages (a little later when the background checkpoint holds
    # the file just then) and the next writes the log from its start again: without that it
    # would hold every save, about 16,000 pages
    assert wal.stat().st_size < 2500 * (page + 24)
    assert rows(tmp_path / "sessions.sqlite3", "SELECT COUNT(*) FROM sessions") == [(3000,)]


def test_saved_sessions_reach_the_database_file_itself_soon_after_the_save(open_store,
                                                                         tmp_path):
    store = open_store(shards=1)
    saved = [session(contact={}) for _ in range(5)]
    for one in saved:
        store.save(one)  # far below the 1,000 pages at which the save itself would checkpoint
    alone = tmp_path / "copy.sqlite3"  # the database file without its WAL
    deadline = time.monotonic() + 5
    while True:
        alone.write_bytes((tmp_path / "sessions.sqlite3").read_bytes())
        try:
            found = {row[0] for row in rows(alone, "SELECT id FROM sessions")}
        except sqlite3.DatabaseError:
            found = set()
        if found == {one.id for one in saved} or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert found == {one.id for one in saved}


def test_a_store_written_before_sharding_is_spread_over_the_shards_when_opened(open_store,
                                                                              tmp_path):
    legacy = tmp_path / "sessions.sqlite3"
    saved = [session(contact={"from": f"+4915100000{n:02d}"}) for n in range(24)]
    with closing(sqlite3.connect(legacy)) as conn:  # the schema of the unsharded store
        conn.executescript("""
            CREATE TABLE sessions (id TEXT PRIMARY KEY, flow_id TEXT NOT NULL,
              status TEXT NOT NULL, rev INTEGER NOT NULL, updated_at REAL NOT NULL,
              data TEXT NOT NULL);
            CREATE TABLE conversations (channel TEXT NOT NULL, address TEXT NOT NULL,
              flow_id TEXT NOT NULL, session_id TEXT NOT NULL,
              PRIMARY KEY (channel, address, flow_id));
            CREATE TABLE inbound_messages (channel TEXT NOT NULL, message_id TEXT NOT NULL,
              session_id TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (channel, message_id));
        """)
        for n, one in enumerate(saved):
            one.rev, one.updated_at = 1, time.time()
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?, 1, ?, ?)",
                         (one.id, one.flow_id, one.status, one.updated_at, one.dumps()))
            conn.execute("INSERT INTO conversations VALUES ('sms', ?, 'support', ?)",
                         (one.contact["from"], one.id))
            conn.execute("INSERT INTO inbound_messages VALUES ('sms', ?, ?, ?)",
                         (f"m-{n}", one.id, time.time()))
        conn.commit()
    store = open_store(shards=4)
    for n, one in enumerate(saved):
        assert store.get(one.id) == one
        assert store.open_session("sms", one.contact["from"], "support") == one.id
        assert store.claim_message("sms", f"m-{n}") == one.id
    for index in range(4):
        path = shard_path(legacy, index)
        assert {row[0] for row in rows(path, "SELECT id FROM sessions")} == {
            one.id for one in saved if session_shard(one.id, 4) == index}
        assert {row[0] for row in rows(path, "SELECT message_id FROM inbound_messages")} == {
            f"m-{n}" for n in range(24) if message_shard("sms", f"m-{n}", 4) == index}
    again = store.get(saved[0].id)
    again.status = "ended"
    store.save(again)  # the revision carried over
    assert store.open_session("sms", saved[0].contact["from"], "support") is None


def test_an_in_memory_store_is_one_private_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = SqliteSessionStore(":memory:", shards=8)
    try:
        waiting = session()
        store.save(waiting)
        assert store.shards == 1 and store.get(waiting.id) == waiting
        assert store.open_session("sms", CONTACT, "support") == waiting.id
        with pytest.raises(StaleSession):
            store.save(session(waiting.id))
        assert store.claim_message("sms", "m-1") is None
        assert store.claim_message("sms", "m-1") == ""
        assert store.expire(before=time.time() + 1) == 1 and store.get(waiting.id) is None
    finally:
        store.close()
    assert list(tmp_path.iterdir()) == []


# Each process opens the store (the first to come lays the files out), waits for the start
# signal, then saves and saves again its own sessions; one in ten is of a contact both share.
_WRITER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from runtime.sessions.session import Session
    from runtime.sessions import SqliteSessionStore

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = SqliteSessionStore(path)
    (path.parent / f"ready-{name}").touch()
    for _ in range(3000):
        if (path.parent / "go").exists():
            break
        time.sleep(0.01)
    ids = []
    for n in range(count):
        address = "+4915100000000" if n % 10 == 0 else f"+49{name}{n:05d}"
        one = Session(id=Session.new_id(), flow_id="support", flow_version="1", channel="sms",
                      block="menu", vars={"n": n}, contact={"from": address}, trigger={},
                      status="waiting")
        store.save(one)
        one.vars["n"] = -n
        store.save(one)
        ids.append(one.id)
    store.close()
    print(json.dumps(ids))
""")


def two_processes(script: str, *args: str) -> list[subprocess.Popen]:
    """Start `script` twice, as processes "1" and "2": python -c script ARG0 NAME ARGS..."""
    return [subprocess.Popen([sys.executable, "-c", script, args[0], name, *args[1:]],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("1", "2")]


def outputs_of(processes: list[subprocess.Popen]) -> list[tuple[str, str]]:
    """Wait (bounded) for the processes; return their (stdout, stderr); kill what is left."""
    try:
        return [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def test_two_processes_saving_at_once_into_one_store_all_succeed(tmp_path):
    path = tmp_path / "sessions.sqlite3"
    writers = two_processes(_WRITER, str(path), "300")
    try:
        for _ in range(6000):  # both imported and opened: at most a minute
            if all((tmp_path / f"ready-{name}").exists() for name in ("1", "2")):
                break
            if any(writer.poll() is not None for writer in writers):
                break
            time.sleep(0.01)
        (tmp_path / "go").touch()
    finally:
        outputs = outputs_of(writers)
    assert [writer.returncode for writer in writers] == [0, 0], [err for _, err in outputs]
    ids = [one for out, _ in outputs for one in json.loads(out)]
    store = SqliteSessionStore(path)
    try:
        loaded = [store.get(one) for one in ids]
        assert len(ids) == 600 and all(one is not None and one.rev == 2 for one in loaded)
        assert {one.vars["n"] for one in loaded} == {-n for n in range(300)}
        shared = [one for one in loaded if one.contact["from"] == "+4915100000000"]
        newest = max(shared, key=lambda one: (one.updated_at, one.id))
        assert store.open_session("sms", "+4915100000000", "support") == newest.id
        newest.status = "ended"
        store.save(newest)  # it replaced every other waiting session of the shared contact
        assert store.open_session("sms", "+4915100000000", "support") is None
        assert index_entries(path, store.shards, "+4915100000000") == []
        assert {row[0] for row in rows(path, "SELECT value FROM meta")} == {"8"}
    finally:
        store.close()


# Each process opens a new store in each of ROUNDS folders at the moment the other one does.
_OPENER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from runtime.sessions.session import Session
    from runtime.sessions import SqliteSessionStore

    folder, name, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for n in range(rounds):
        here = folder / f"round-{n}"
        here.mkdir(exist_ok=True)
        (here / f"ready-{name}").touch()
        deadline = time.monotonic() + 10
        while len(list(here.glob("ready-*"))) < 2:
            if time.monotonic() > deadline:
                sys.exit(f"round {n}: the other process did not come")
            # spin: both open within microseconds of each other
        store = SqliteSessionStore(here / "sessions.sqlite3")
        one = Session(id=Session.new_id(), flow_id="f", flow_version="1", channel="chat",
                      block="b", vars={}, contact={}, trigger={})
        store.save(one)
        store.close()
        print(one.id)
""")


def test_two_processes_creating_one_store_at_the_same_moment_both_open_it(tmp_path):
    rounds = 20
    openers = two_processes(_OPENER, str(tmp_path), str(rounds))
    outputs = outputs_of(openers)
    assert [opener.returncode for opener in openers] == [0, 0], [err for _, err in outputs]
    ids = [out.split() for out, _ in outputs]
    for n in range(rounds):
        store = SqliteSessionStore(tmp_path / f"round-{n}" / "sessions.sqlite3")
        try:
            assert store.shards == 8
            assert all(store.get(run[n]) is not None for run in ids)
        finally:
            store.close()
