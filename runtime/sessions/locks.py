"""Conversation locks: one turn of a conversation at a time, across threads, processes and nodes.

Each session store brings the lock that reaches as far as it is shared: a dict of thread locks
for the in-memory store (one process), `flock` on files beside the SQLite store (every process
of one machine, which is as far as a SQLite file is shared), and redis-py's `Lock` for the Redis
store (every node). A lock is taken by name, the conversation's key.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator, NoReturn

from runtime.errors import SessionBusy

log = logging.getLogger(__name__)
# how long a turn waits for the one before it: a turn is bounded by the flow's timeouts (HTTP
# calls 10 s, scripts a few), so a wait this long means something is stuck
WAIT_S = 60.0
# a Redis lock left by a node that died is free again after this long; a live holder extends it
# every third of it, so a slow turn keeps its lock
REDIS_LEASE_S = 30.0
# files of the SQLite store's locks: names hash onto them, so the folder never grows; two
# conversations sharing a file wait for each other's turn, rarely (with 16 turns at once, a
# turn shares its file with another 15 / 512 of the time, ~3%)
FILE_STRIPES = 512


class ConversationBusy(SessionBusy):
    """A conversation's earlier turn held its lock for longer than a turn may take."""


class ConversationLocks:
    """Hands out the lock of a conversation by name; `hold` blocks, `hold_async` awaits.

    Holding a lock means no other holder of the same name, in any thread or process the store
    is shared with, holds it at the same time. A lock waited on for more than `wait_s` raises
    ConversationBusy (the message fails and its sender redelivers it later).
    """

    def __init__(self, wait_s: float = WAIT_S) -> None:
        self.wait_s = wait_s

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Hold a conversation's lock for the body of a `with`, waiting for it if needed."""
        token = self._take(name, self.wait_s)
        if token is None:
            raise ConversationBusy(f"conversation {name} is busy: its earlier turn took more than "
                                   f"{self.wait_s:g} s")
        try:
            yield
        finally:
            self._give(name, token)

    @contextlib.asynccontextmanager
    async def hold_async(self, name: str) -> AsyncIterator[None]:
        """`hold` for an event loop: a free lock is taken at once, a held one waited on a thread."""
        token = self._take(name, 0)
        if token is None:
            token = await asyncio.to_thread(self._take, name, self.wait_s)
            if token is None:
                raise ConversationBusy(f"conversation {name} is busy: its earlier turn took more "
                                       f"than {self.wait_s:g} s")
        try:
            yield
        finally:
            self._give(name, token)

    def _take(self, name: str, wait_s: float) -> Any:
        """Take the lock within `wait_s` seconds; return what `_give` needs, or None."""
        raise NotImplementedError

    def _give(self, name: str, token: Any) -> None:
        """Release a lock taken by `_take`."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the locks keep open."""


class ThreadLocks(ConversationLocks):
    """Locks of one process (the in-memory store): a thread lock per name while it is wanted."""

    def __init__(self, wait_s: float = WAIT_S) -> None:
        super().__init__(wait_s)
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}  # name -> (lock, wanted by)

    def _take(self, name: str, wait_s: float) -> Any:
        with self._guard:
            lock, wanted = self._locks.get(name) or (threading.Lock(), 0)
            self._locks[name] = (lock, wanted + 1)
        if lock.acquire(timeout=wait_s) if wait_s > 0 else lock.acquire(blocking=False):
            return lock
        self._unwant(name)
        return None

    def _give(self, name: str, token: Any) -> None:
        token.release()
        self._unwant(name)

    def _unwant(self, name: str) -> None:
        """Forget a name's lock once nobody wants it."""
        with self._guard:
            lock, wanted = self._locks[name]
            if wanted == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, wanted - 1)


class FileLocks(ConversationLocks):
    """Locks shared by the processes of one machine: `flock` on files in a folder.

    flock locks belong to an open file, so two threads of one process that each open the file
    exclude each other as two processes do, and a process that dies lets go of its locks.
    """

    def __init__(self, folder: str | Path, wait_s: float = WAIT_S,
                 stripes: int = FILE_STRIPES) -> None:
        super().__init__(wait_s)
        self.folder = Path(folder)
        self.stripes = stripes
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> str:
        digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return str(self.folder / f"{int.from_bytes(digest, 'big') % self.stripes:03x}.lock")

    def _take(self, name: str, wait_s: float) -> Any:
        fd = os.open(self._path(name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + wait_s
        pause = 0.001
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return None
                # a short poll rather than a blocking flock: a blocking one cannot be bounded
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
        except BaseException:
            os.close(fd)
            raise

    def _give(self, name: str, token: Any) -> None:
        os.close(token)  # closing the file lets go of its lock


class RedisLocks(ConversationLocks):
    """Locks shared by every node of a Redis store: redis-py's `Lock`, kept alive while held.

    A lock expires after `lease_s` so that a node that died frees it; one thread per process
    extends every lock the process holds each third of that, so a long turn keeps its lock.
    """

    def __init__(self, client: Any, prefix: str, wait_s: float = WAIT_S,
                 lease_s: float = REDIS_LEASE_S,
                 errors: type[Exception] = Exception,
                 unavailable: Callable[[Exception], NoReturn] | None = None) -> None:
        super().__init__(wait_s)
        self._client = client
        # redis-py's errors, and what the store makes of them (SessionStoreUnavailable: 503)
        self._errors = errors
        self._unavailable = unavailable
        self._prefix = prefix
        self.lease_s = lease_s
        self._held: set[Any] = set()
        self._guard = threading.Lock()
        self._keeper: threading.Thread | None = None
        self._closing = threading.Event()

    def _take(self, name: str, wait_s: float) -> Any:
        # not thread-local: the keeper thread extends it with the token the turn's thread took
        lock = self._client.lock(f"{self._prefix}lock:{name}", timeout=self.lease_s,
                                 sleep=0.005, blocking=wait_s > 0, thread_local=False,
                                 blocking_timeout=wait_s if wait_s > 0 else None)
        try:
            if not lock.acquire():
                return None
        except self._errors as exc:  # Redis cannot be reached
            if self._unavailable is None:
                raise
            self._unavailable(exc)
        with self._guard:
            self._held.add(lock)
            if self._keeper is None:
                self._keeper = threading.Thread(target=self._keep, daemon=True,
                                                name="conversation-locks")
                self._keeper.start()
        return lock

    def _give(self, name: str, token: Any) -> None:
        with self._guard:
            self._held.discard(token)
        try:
            token.release()
        except Exception as exc:  # expired meanwhile (Redis restarted): nothing left to free
            log.warning("conversation lock %s was lost before its release: %s", name, exc)

    def _keep(self) -> None:
        """Extend the held locks every third of their lease until closed."""
        while not self._closing.wait(self.lease_s / 3):
            with self._guard:
                held = list(self._held)
            for lock in held:
                try:
                    lock.reacquire()
                except Exception as exc:  # released meanwhile, or Redis away for a moment
                    log.debug("conversation lock not extended: %s", exc)

    def close(self) -> None:
        self._closing.set()


__all__ = ["ConversationBusy", "ConversationLocks", "FileLocks", "RedisLocks", "ThreadLocks"]
