"""The transcripts of simulated sessions: one JSON-lines file each, beside the runtime's data."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

from runtime.errors import SessionNotFound
from runtime.jsontext import dump_text
from runtime.tasks.periodic import SESSION_TTL_S

# session ids are UUIDv7 in 32 hex digits; anything else never names a file here
_SESSION_ID = re.compile(r"[0-9a-f]{32}")
SWEEP_EVERY_S = 3600.0


class Transcripts:
    """Every event of each simulated session, kept where every process of the workspace reads it.

    Like the kept flow versions, the files live on the workspace's disk, so a simulation's next
    input may reach any serve worker. A transcript is not kept longer than its session: `sweep`
    removes those not written for the session store's expiry time.
    """

    def __init__(self, folder: Path, ttl_s: float = SESSION_TTL_S) -> None:
        self.folder = folder
        self.ttl_s = ttl_s
        self._swept_at = 0.0
        self._lock = threading.Lock()

    def append(self, session_id: str, events: list[dict]) -> None:
        """Add the events of a turn to a session's transcript."""
        lines = "".join(dump_text(event, default=str) + "\n" for event in events)
        self.folder.mkdir(parents=True, exist_ok=True)
        # one write of whole lines: a session's turns never run at once (its saves are
        # revision-checked), so nothing else appends to this file meanwhile
        with open(self._path(session_id), "a", encoding="utf-8") as file:
            file.write(lines)

    def read(self, session_id: str) -> list[dict]:
        """Return every event of a session's transcript, oldest first."""
        try:
            data = self._path(session_id).read_bytes()
        except FileNotFoundError:
            return []
        # lines end at "\n" alone: str.splitlines also splits at U+2028, U+0085 and the like,
        # which the JSON text holds as they are inside strings. A last line without its "\n"
        # is a turn another process is still appending: the next read shows it whole.
        return [json.loads(line) for line in data.split(b"\n")[:-1] if line]

    def forget(self, session_id: str) -> None:
        """Remove a session's transcript (no error when there is none)."""
        self._path(session_id).unlink(missing_ok=True)

    def sweep(self, now: float | None = None) -> int:
        """Remove the transcripts not written within the expiry time, at most once an hour."""
        now = time.time() if now is None else now
        with self._lock:
            if now - self._swept_at < SWEEP_EVERY_S:
                return 0
            self._swept_at = now
        removed = 0
        for entry in os.scandir(self.folder) if self.folder.is_dir() else ():
            try:
                if entry.stat().st_mtime < now - self.ttl_s:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:  # another process swept it first
                continue
        return removed

    def _path(self, session_id: str) -> Path:
        if not _SESSION_ID.fullmatch(session_id):
            raise SessionNotFound(f"no simulation {session_id!r}")
        return self.folder / f"{session_id}.jsonl"
