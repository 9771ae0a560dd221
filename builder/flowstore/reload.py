"""Files changed on disk go live in every serve worker, and each change becomes one version.

Flows, bots and responses sets alike: each kind's versions are its own (builder.flowstore.kinds).

A `FlowWatcher` thread in each worker process looks at the workspace's files about once a
second (their stamps: a few stat calls) and, on SIGHUP where the process lets it install a
handler, at once. Each flow a reload takes live is recorded as a version from `git` under the
store's lock, unless the newest version already has that content: a publish of this process or
another, or another worker that noticed the same change first.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any, Callable

from runtime.workspace import Reloaded, Workspace
from runtime.workspace.stable_form import dumps

from .errors import GitFailed
from .kinds import BOT, FLOW, KINDS, RESPONSES, Kind
from .locking import StoreLock
from .versions import GIT, Version, VersionLog
from .workspace import WorkspaceStore

log = logging.getLogger(__name__)

INTERVAL_S = 1.0
CHANGED_ON_DISK = "Changed on disk"


class VersionRecorder:
    """Records what a reload took live (flows, bots, responses sets) as versions from git."""

    def __init__(self, workspace: Workspace, versions: VersionLog, files: WorkspaceStore,
                 lock: StoreLock) -> None:
        self.workspace = workspace
        self.versions = versions
        self.files = files
        self.lock = lock
        self.logs = {kind.name: versions.of(kind.key_prefix, kind.label) if kind is not FLOW
                     else versions for kind in KINDS.values()}

    def refresh(self) -> Reloaded:
        """Reload the workspace and record what went live; return what the reload changed."""
        reloaded = self.workspace.reload()
        if reloaded.live or reloaded.bots or reloaded.responses:
            with self.lock.held():
                # another worker may have published since: what is live must be what the files
                # hold now, under the lock every publish holds, or an older content is recorded
                # again as the newest version
                reloaded = _both(reloaded, self.workspace.reload())
                for kind, ids in ((FLOW, reloaded.live), (BOT, reloaded.bots),
                                  (RESPONSES, reloaded.responses)):
                    for doc_id in ids:
                        self.record(doc_id, kind)
        for file, problems in reloaded.refused.items():
            log.warning("%s is not live: %s", file, "; ".join(map(str, problems)))
        return reloaded

    def sync(self) -> list[Version]:
        """Record everything live whose content no version has yet (a server's first look)."""
        if not self._behind():
            return []
        with self.lock.held():
            self.workspace.reload()  # a publish made since the files were read is live now
            return [version for kind, doc_id in self._behind()
                    if (version := self.record(doc_id, kind))]

    def _behind(self) -> list[tuple[Kind, str]]:
        """Return the live documents whose content is not their newest version's, sorted."""
        behind = []
        for kind in KINDS.values():
            newest = self.logs[kind.name].newest()
            for doc_id in sorted(kind.live_ids(self.workspace)):
                content_hash = kind.live_hash(self.workspace, doc_id)
                if doc_id not in newest or newest[doc_id].content_hash != content_hash:
                    behind.append((kind, doc_id))
        return behind

    def record(self, doc_id: str, kind: Kind = FLOW) -> Version | None:
        """Record a live document as the next version from git unless the newest has its
        content."""
        doc = kind.live_doc(self.workspace, doc_id)
        content_hash = kind.live_hash(self.workspace, doc_id)
        if doc is None or content_hash is None:
            return None
        try:
            origin = self.files.origin(kind.file(doc_id))
        except GitFailed as exc:
            log.warning("who changed %s %s is unknown: %s", kind.label, doc_id, exc)
            origin = None
        version = self.logs[kind.name].record(
            doc_id, dumps(doc, self.workspace.registry), content_hash, source=GIT,
            author=str(origin.author) if origin else None,
            note=origin.subject if origin and origin.subject else CHANGED_ON_DISK,
            commit=origin.commit if origin else None, unless_latest=True)
        if version is not None:
            log.info("%s %s changed on disk is live as version %d", kind.label, doc_id,
                     version.number)
        return version


def _both(first: Reloaded, then: Reloaded) -> Reloaded:
    """Return what two reloads one after the other changed."""
    def merged(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*a, *b)))
    return Reloaded(merged(first.live, then.live), merged(first.removed, then.removed),
                    {**first.refused, **then.refused}, first.routes or then.routes,
                    merged(first.bots, then.bots), merged(first.responses, then.responses))


class FlowWatcher:
    """A thread that calls `refresh` when the files may have changed: every interval, on SIGHUP."""

    def __init__(self, refresh: Callable[[], Any], interval_s: float = INTERVAL_S) -> None:
        self.refresh = refresh
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: Any = None  # the SIGHUP handler before ours
        self.hangup = False  # whether SIGHUP wakes it (only the main thread installs handlers)

    def start(self) -> None:
        """Start watching; SIGHUP wakes the watcher where this process lets it take the signal."""
        if self._thread is not None:
            return
        self.hangup = self._take_hangup()
        self._thread = threading.Thread(target=self._run, name="callwright-flow-watcher",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop watching, give SIGHUP back to the handler it had, wait for the thread to end."""
        self._stopping.set()
        self._wake.set()
        if self.hangup and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGHUP, self._previous if self._previous is not None
                          else signal.SIG_DFL)
            self.hangup = False
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def wake(self) -> None:
        """Look at the files now rather than at the next interval."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.refresh()
            except Exception:  # a database or disk hiccup: look again at the next interval
                log.exception("reloading the workspace failed")

    def _take_hangup(self) -> bool:
        """Install a SIGHUP handler that wakes the watcher, passing the signal on to any other."""
        if threading.current_thread() is not threading.main_thread():
            return False  # Python lets only the main thread install signal handlers
        previous = self._previous = signal.getsignal(signal.SIGHUP)

        def on_hangup(signum: int, frame: FrameType | None) -> None:
            self.wake()
            if callable(previous):
                previous(signum, frame)
        try:
            signal.signal(signal.SIGHUP, on_hangup)
        except (ValueError, OSError):  # not the main interpreter, or no SIGHUP here
            return False
        return True
