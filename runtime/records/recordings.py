"""The recordings index: what `record` blocks took, in the records database, audio beside it.

A recording is a row (id, session, flow, block, seconds, path, created_at) and, when the port's
backend keeps audio (SIP does, the emulator does not), a WAV file at
`<workspace>/.callwright/recordings/<session>/<id>.wav` written by runtime.media; `path` is
that file relative to the workspace, or None.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from runtime.media import write_wav

from .schema import recordings as table

FOLDER = Path(".callwright") / "recordings"
# what a recording id looks like: anything else is no recording, answered without a query
RECORDING_ID = re.compile(r"[0-9a-f]{32}")
# a session id that may name a folder as it is; others (never made by us) are folded into one
_SAFE_FOLDER = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class StoredRecording:
    """One row of the recordings index."""

    id: str
    session_id: str
    flow_id: str
    block: str
    seconds: float
    path: str | None
    created_at: float

    @property
    def url(self) -> str:
        """Return where the API plays the recording back."""
        return f"/api/v1/recordings/{self.id}/audio"

    def as_dict(self) -> dict:
        """Return the JSON-able form the API lists: `audio` tells whether a file was kept."""
        return {"recording": self.id, "session": self.session_id, "flow": self.flow_id,
                "block": self.block, "seconds": self.seconds, "audio": self.path is not None,
                "url": self.url, "created_at": self.created_at}


class RecordingStore:
    """Keeps recordings: WAV files under a workspace, their index in the records database."""

    def __init__(self, engine: Engine, root: Path) -> None:
        self.engine = engine
        self.root = Path(root)

    def add(self, *, session_id: str, flow_id: str, block: str, seconds: float,
            pcm: bytes | None) -> StoredRecording:
        """Write the audio (8 kHz 16-bit PCM; None: none kept) and index it; return the row."""
        recording_id = uuid.uuid4().hex
        path = None
        if pcm is not None:
            folder = session_id if _SAFE_FOLDER.fullmatch(session_id) else "other"
            relative = FOLDER / folder / f"{recording_id}.wav"
            write_wav(self.root / relative, pcm)  # atomic: a listed file is always whole
            path = relative.as_posix()
        row = StoredRecording(recording_id, session_id, flow_id, block, round(seconds, 3), path,
                              time.time())
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table).values(
                    id=row.id, session_id=row.session_id, flow_id=row.flow_id, block=row.block,
                    seconds=row.seconds, path=row.path, created_at=row.created_at))
        except BaseException:
            if path is not None:  # an unindexed file would never be listed nor removed
                (self.root / path).unlink(missing_ok=True)
            raise
        return row

    def get(self, recording_id: str) -> StoredRecording | None:
        """Return a recording's row, None when there is none."""
        if not RECORDING_ID.fullmatch(recording_id):
            return None
        with self.engine.connect() as conn:
            found = conn.execute(select(table).where(table.c.id == recording_id)).mappings().first()
        return StoredRecording(**found) if found is not None else None

    def audio(self, recording: StoredRecording) -> Path | None:
        """Return the WAV file of a recording, None when none was kept or it is gone."""
        if recording.path is None:
            return None
        path = (self.root / recording.path).resolve()
        # a path in the database never leads out of the recordings folder
        if not path.is_relative_to((self.root / FOLDER).resolve()) or not path.is_file():
            return None
        return path

    def recent(self, *, flow_id: str | None = None, session_id: str | None = None,
               limit: int = 100, before: float | None = None) -> list[StoredRecording]:
        """Return recordings, newest first, of a flow and/or session; `before` pages on."""
        if "\x00" in (flow_id or "") + (session_id or ""):
            return []  # no row has it, and PostgreSQL refuses it in a query outright
        query = select(table)
        if flow_id is not None:
            query = query.where(table.c.flow_id == flow_id)
        if session_id is not None:
            query = query.where(table.c.session_id == session_id)
        if before is not None:
            query = query.where(table.c.created_at < before)
        query = query.order_by(table.c.created_at.desc(), table.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [StoredRecording(**row) for row in conn.execute(query).mappings()]

    def forget(self, session_ids: list[str]) -> int:
        """Remove the recordings of sessions (an erased contact's), files too; return how many."""
        removed = 0
        for start in range(0, len(session_ids), 500):
            chunk = session_ids[start:start + 500]
            with self.engine.begin() as conn:
                rows = [StoredRecording(**row) for row in conn.execute(
                    select(table).where(table.c.session_id.in_(chunk))).mappings()]
                conn.execute(delete(table).where(table.c.session_id.in_(chunk)))
            for row in rows:
                path = self.audio(row)
                if path is not None:
                    path.unlink(missing_ok=True)
            removed += len(rows)
        return removed


__all__ = ["FOLDER", "RECORDING_ID", "RecordingStore", "StoredRecording"]
