"""Sessions in SQLite: the embedded default, spread over files that worker processes share."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import zlib
from pathlib import Path

from blocks.sdk import ConfigurationError

from .locks import ConversationLocks, FileLocks, ThreadLocks
from .session import Session
from .sqlite_shard import LEGACY_ID, Shard
from .store import SessionStore, StaleSession, conversation_key

log = logging.getLogger(__name__)
DEFAULT_SHARDS = 8
CHECKPOINT_EVERY_S = 0.05  # how often the checkpoint thread looks at the shards
# A shard's new WAL pages are copied back by a process once it wrote this many times to it
# since its last checkpoint, or wrote at all this long ago: often enough that a save rarely
# finds the WAL at SQLite's own 1,000 pages (a chat save adds two or three), seldom enough that
# a page saved over and over (an index's last leaf) is copied and synced once per batch.
CHECKPOINT_AFTER_WRITES = 100
CHECKPOINT_AFTER_S = 0.25
_UNINDEX = "DELETE FROM conversations WHERE session_id = ?"
# In a file as across files the newest entry of a key wins: (updated_at, session id) orders them.
_INDEX = ("INSERT INTO conversations (channel, address, flow_id, session_id, updated_at) "
          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, address, flow_id) DO UPDATE SET "
          "session_id = excluded.session_id, updated_at = excluded.updated_at "
          "WHERE (excluded.updated_at, excluded.session_id) > "
          "(conversations.updated_at, conversations.session_id)")
_FIND = ("SELECT session_id, updated_at FROM conversations "
         "WHERE channel = ? AND address = ? AND flow_id = ?")
_ENTRIES = "SELECT channel, address, flow_id, updated_at FROM conversations WHERE session_id = ?"
_DROP_ENTRY = ("DELETE FROM conversations WHERE channel = ? AND address = ? AND flow_id = ? "
               "AND session_id = ? AND updated_at = ?")
_COUNT = "SELECT value FROM meta WHERE key = 'shards'"
EXPIRE_BATCH = 500  # sessions deleted in one transaction
_EXPIRE_BY_ID = ("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
                 "WHERE id < ? AND updated_at < ? LIMIT ?)")
_EXPIRE_LEGACY = ("DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
                  f"WHERE {LEGACY_ID} AND updated_at < ? LIMIT ?)")


def shard_path(path: Path, index: int) -> Path:
    """Return the file of shard `index`: `path` itself for 0, else `-index` before the suffix."""
    return path if index == 0 else path.with_name(f"{path.stem}-{index}{path.suffix}")


def session_shard(session_id: str, shards: int) -> int:
    """Return the shard a session (and its conversation index entry) lives in."""
    return zlib.crc32(session_id.encode()) % shards


def message_shard(channel: str, message_id: str, shards: int) -> int:
    """Return the shard that remembers an inbound message id."""
    return zlib.crc32(f"{channel}\x00{message_id}".encode()) % shards


class SqliteSessionStore(SessionStore):
    """Sessions in SQLite files ("shards"), each session in the file its id hashes to.

    SQLite admits one writer per file at a time, so the worker processes of `serve` sharing one
    file wait for each other's saves, milliseconds at the tail; spread over several files, two
    saves rarely want the same one at once. Shard 0 is `path` and records the number of shards
    when it is created: a store opened again keeps that number whatever `shards` says, so every
    process routes alike. A session's conversation index entry is written with it, in its file;
    looking a contact up asks every file and takes the newest entry, and the older entries a
    newer session replaced go when it stops waiting. `:memory:` is one private database (tests,
    tools).
    """

    def __init__(self, path: str | Path, busy_timeout_s: float = 10.0,
                 shards: int = DEFAULT_SHARDS) -> None:
        if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
            raise ConfigurationError(f"SqliteSessionStore({str(path)!r}): shards must be a whole "
                                     f"number from 1, not {shards!r}")
        self.path = str(path)
        self._busy_timeout_s = busy_timeout_s
        self._closing = threading.Event()
        self._checkpointer: threading.Thread | None = None
        if self.path == ":memory:":
            self._shards = [Shard(self.path, busy_timeout_s)]
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._shards = self._open_shards(Path(self.path), shards)
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, daemon=True,
                                              name="sessions-checkpoint")
        self._checkpointer.start()

    def _make_locks(self) -> ConversationLocks:
        # every process sharing the file shares the folder beside it
        if self.path == ":memory:":
            return ThreadLocks()
        return FileLocks(Path(self.path).parent / "locks")

    @property
    def shards(self) -> int:
        """Return how many files the store spreads its sessions over."""
        return len(self._shards)

    def _open_shards(self, path: Path, requested: int) -> list[Shard]:
        """Open every shard, laying the files out (and recording their number) the first time."""
        shards = [Shard(str(path), self._busy_timeout_s)]
        try:
            rows = shards[0].read(_COUNT)
            if not rows:
                # the first opener lays the files out; another process opening at the same
                # moment waits for shard 0's write lock and then finds the count recorded
                with shards[0].transaction() as conn:
                    rows = conn.execute(_COUNT).fetchall()
                    if not rows:
                        self._open_rest(path, requested, shards)
                        conn.execute("INSERT INTO meta (key, value) VALUES ('shards', ?)",
                                     (str(requested),))
                        _spread(conn, shards)
                        return shards
            count = _recorded_count(rows[0][0], path)
            if count != requested:
                log.warning("session store %s has %d shards since its creation: keeping them "
                            "(%d asked for)", path, count, requested)
            self._open_rest(path, count, shards)
        except BaseException:
            for shard in shards:
                shard.close()
            raise
        return shards

    def _open_rest(self, path: Path, count: int, shards: list[Shard]) -> None:
        """Append shards 1 to count - 1 to `shards` (one at a time, so a failure closes all)."""
        for index in range(1, count):
            shards.append(Shard(str(shard_path(path, index)), self._busy_timeout_s))

    def _checkpoint_loop(self) -> None:
        # Off the request path: a save waiting on a checkpoint's sync stalls every turn queued
        # on its worker's event loop. Copied in the background, the checkpoint a save still
        # runs at 1,000 pages has little left to sync: chat p99 went from 10-12 ms to 7-7.6 ms
        # (benchmarks/chat.sh). But every process of serve copied every file every 50 ms, the
        # idle voice and mail processes too: under the chat benchmark that was ~470 syncs a
        # second (strace: 2,846 fdatasync in 6 s, 1,070 of them in the two idle processes). A
        # process now copies a file it wrote to, after CHECKPOINT_AFTER_WRITES saves or
        # CHECKPOINT_AFTER_S: 627 in the same 6 s, none in the idle processes.
        while not self._closing.wait(CHECKPOINT_EVERY_S):
            for shard in self._shards:
                if self._closing.is_set():  # close() is about to close the shards
                    return
                if shard.checkpoint_due(CHECKPOINT_AFTER_WRITES, CHECKPOINT_AFTER_S):
                    shard.checkpoint()

    def _home(self, session_id: str) -> Shard:
        return self._shards[session_shard(session_id, len(self._shards))]

    def get(self, session_id: str) -> Session | None:
        rows = self._home(session_id).read("SELECT data FROM sessions WHERE id = ?", (session_id,))
        return Session.loads(rows[0][0]) if rows else None

    def save(self, session: Session) -> None:
        session.updated_at = time.time()
        expected, session.rev = session.rev, session.rev + 1
        data = session.dumps()
        if expected == 0:
            statement = (
                "INSERT OR IGNORE INTO sessions (id, flow_id, status, rev, updated_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session.id, session.flow_id, session.status, session.rev, session.updated_at,
                 data))
        else:
            statement = (
                "UPDATE sessions SET status = ?, rev = ?, updated_at = ?, data = ? "
                "WHERE id = ? AND rev = ?",
                (session.status, session.rev, session.updated_at, data, session.id, expected))
        key = conversation_key(session)
        home = self._home(session.id)
        left: list[tuple] = []  # index entries this save takes out
        try:
            if key is None and not session.contact.get("from"):
                # web chat and the like: never indexed, one statement without a transaction
                if home.execute(*statement) != 1:
                    raise StaleSession(f"session {session.id} was changed by another turn")
            else:
                with home.transaction() as conn:
                    if conn.execute(*statement).rowcount != 1:
                        raise StaleSession(f"session {session.id} was changed by another turn")
                    # it may have been indexed while it waited (under this key: replaced below)
                    left = [entry for entry in conn.execute(_ENTRIES, (session.id,))
                            if tuple(entry[:3]) != key]
                    conn.execute(_UNINDEX, (session.id,))
                    if key is not None:
                        conn.execute(_INDEX, (*key, session.id, session.updated_at))
        except BaseException:
            session.rev = expected
            raise
        self._forget_replaced(session.id, left, home)

    def delete(self, session_id: str) -> None:
        home = self._home(session_id)
        with home.transaction() as conn:
            left = conn.execute(_ENTRIES, (session_id,)).fetchall()
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            conn.execute(_UNINDEX, (session_id,))
        self._forget_replaced(session_id, left, home)

    def _forget_replaced(self, session_id: str, left: list[tuple], home: Shard) -> None:
        """Drop, in the other shards, the older entries of the keys a session left the index of.

        A newer waiting session of a contact replaces the older one. Its save only writes its own
        file (in that file the older entry is replaced at once), and a look-up takes the newest
        entry of every file; the older entries in other files are dropped here, when the newer
        session stops waiting, so that the older session is not found in its place. Best effort
        after the commit: the save stands whatever happens here.
        """
        if len(self._shards) == 1:
            return
        try:
            for channel, address, flow_id, updated_at in left:
                key, mine = (channel, address, flow_id), (updated_at, session_id)
                for shard in self._shards:
                    if shard is home:
                        continue
                    for other_id, other_at in shard.read(_FIND, key):
                        if (other_at, other_id) < mine:
                            shard.execute(_DROP_ENTRY, (*key, other_id, other_at))
        except sqlite3.Error:
            log.warning("session %s: older index entries of %s are left behind", session_id,
                        left, exc_info=True)

    def open_session(self, channel: str, address: str, flow_id: str) -> str | None:
        newest: tuple[float, str] | None = None
        for shard in self._shards:
            for session_id, updated_at in shard.read(_FIND, (channel, address, flow_id)):
                if newest is None or (updated_at, session_id) > newest:
                    newest = (updated_at, session_id)
        return newest[1] if newest else None

    def _message_home(self, channel: str, message_id: str) -> Shard:
        return self._shards[message_shard(channel, message_id, len(self._shards))]

    def claim_message(self, channel: str, message_id: str) -> str | None:
        shard = self._message_home(channel, message_id)
        if shard.execute("INSERT OR IGNORE INTO inbound_messages (channel, message_id, session_id, "
                         "at) VALUES (?, ?, '', ?)", (channel, message_id, time.time())) == 1:
            return None
        rows = shard.read("SELECT session_id FROM inbound_messages WHERE channel = ? AND "
                          "message_id = ?", (channel, message_id))
        return rows[0][0] if rows else ""

    def settle_message(self, channel: str, message_id: str, session_id: str | None) -> None:
        shard = self._message_home(channel, message_id)
        if session_id is None:
            shard.execute("DELETE FROM inbound_messages WHERE channel = ? AND message_id = ?",
                          (channel, message_id))
        else:
            shard.execute("UPDATE inbound_messages SET session_id = ? WHERE channel = ? AND "
                          "message_id = ?", (session_id, channel, message_id))

    def expire(self, before: float) -> int:
        """Delete every session last saved before `before` (unix seconds); return how many.

        Message ids received before then are forgotten too: a sender redelivers within minutes.
        """
        count, made_before = 0, Session.id_after(before)
        # a session saved before then was made before then: its id is in the range
        batches = [(_EXPIRE_BY_ID, (made_before, before, EXPIRE_BATCH)),
                   (_EXPIRE_LEGACY, (before, EXPIRE_BATCH))]
        for shard in self._shards:
            # in batches, each its own transaction: a save waiting for the file's write lock
            # waits for one batch (milliseconds), not for a whole day of sessions; under serve
            # that save holds up every turn on its worker's event loop
            for statement, params in batches:
                while True:
                    with shard.transaction() as conn:
                        gone = conn.execute(statement, params).rowcount
                    count += gone
                    if gone < EXPIRE_BATCH:
                        break
            with shard.transaction() as conn:
                conn.execute("DELETE FROM conversations WHERE session_id NOT IN "
                             "(SELECT id FROM sessions)")
                conn.execute("DELETE FROM inbound_messages WHERE at < ?", (before,))
        return count

    def close(self) -> None:
        self._closing.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=5)
        for shard in self._shards:
            shard.close()


def _recorded_count(value: object, path: Path) -> int:
    """Return the shard count shard 0 records; refuse a damaged one rather than mis-route."""
    if not str(value).isdigit() or int(str(value)) < 1:
        raise ConfigurationError(f"{path}: table meta says shards = {value!r}, which is not a "
                                 f"whole number from 1; restore the file or remove the store")
    return int(str(value))


def _spread(conn: sqlite3.Connection, shards: list[Shard]) -> None:
    """Move rows written before the store was sharded out of shard 0 into their own shards.

    Runs inside shard 0's transaction, which records the count: nothing routes by it until both
    are done, and an interrupted move starts again from the untouched shard 0 next time.
    """
    count = len(shards)
    if count == 1:
        return
    conn.create_function("session_shard", 1, lambda sid: session_shard(sid, count),
                         deterministic=True)
    conn.create_function("message_shard", 2, lambda ch, mid: message_shard(ch, mid, count),
                         deterministic=True)
    for index, shard in enumerate(shards[1:], 1):
        with shard.transaction() as target:
            target.executemany(
                "INSERT OR REPLACE INTO sessions (id, flow_id, status, rev, updated_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                conn.execute("SELECT id, flow_id, status, rev, updated_at, data FROM sessions "
                             "WHERE session_shard(id) = ?", (index,)))
            target.executemany(
                "INSERT OR REPLACE INTO conversations (channel, address, flow_id, session_id, "
                "updated_at) VALUES (?, ?, ?, ?, ?)",
                conn.execute("SELECT channel, address, flow_id, session_id, updated_at FROM "
                             "conversations WHERE session_shard(session_id) = ?", (index,)))
            target.executemany(
                "INSERT OR REPLACE INTO inbound_messages (channel, message_id, session_id, at) "
                "VALUES (?, ?, ?, ?)",
                conn.execute("SELECT channel, message_id, session_id, at FROM inbound_messages "
                             "WHERE message_shard(channel, message_id) = ?", (index,)))
    conn.execute("DELETE FROM sessions WHERE session_shard(id) != 0")
    conn.execute("DELETE FROM conversations WHERE session_shard(session_id) != 0")
    conn.execute("DELETE FROM inbound_messages WHERE message_shard(channel, message_id) != 0")
