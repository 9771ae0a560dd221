"""Drafts: the editor's unpublished flows, kept beside the workspace and never committed.

`.callwright/drafts/<id>.json` holds a draft's bytes exactly as they were sent, and
`.callwright/drafts/meta/<id>.json` who saved it when, with its name for listings. A draft's ETag
is a hash of its bytes, so any copy of the same bytes has the same ETag.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from runtime.workspace.stable_form import write_atomic

META = "meta"


def etag_of(data: bytes) -> str:
    """Return the ETag of a document's bytes (the first 16 hex digits of their SHA-256)."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class DraftInfo:
    """What is known of a draft without reading it: its ETag, who saved it when, its name."""

    etag: str
    saved_at: float | None = None
    saved_by: str | None = None
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Draft:
    """A saved draft: its bytes as sent and what is known of them."""

    flow_id: str
    data: bytes
    info: DraftInfo

    @property
    def etag(self) -> str:
        """Return the ETag of the draft's bytes."""
        return self.info.etag


class DraftStore:
    """The drafts of a workspace, one file each, written whole or not at all."""

    def __init__(self, folder: Path, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.clock = clock

    def read(self, flow_id: str) -> Draft | None:
        """Return a flow's draft, or None when it has none."""
        try:
            data = self._path(flow_id).read_bytes()
        except FileNotFoundError:
            return None
        return Draft(flow_id, data, self._info(flow_id, etag_of(data)))

    def info(self, flow_id: str) -> DraftInfo | None:
        """Return what is known of a flow's draft (read from its meta file), or None."""
        meta = self._meta(flow_id)
        if meta is not None and isinstance(meta.get("etag"), str):
            return _info(meta)
        draft = self.read(flow_id)  # no meta yet: the draft itself says its ETag
        return draft.info if draft is not None else None

    def write(self, flow_id: str, data: bytes, document: dict, saved_by: str | None) -> Draft:
        """Save a draft's bytes as they are; return it with its new ETag."""
        self.folder.mkdir(parents=True, exist_ok=True)
        info = DraftInfo(etag_of(data), self.clock(), saved_by, _text(document.get("name")),
                         _text(document.get("description")))
        write_atomic(self._path(flow_id), data)
        meta = self.folder / META / f"{flow_id}.json"
        meta.parent.mkdir(exist_ok=True)
        write_atomic(meta, json.dumps(info.__dict__, ensure_ascii=False).encode("utf-8"))
        return Draft(flow_id, data, info)

    def remove(self, flow_id: str) -> bool:
        """Delete a flow's draft; return whether there was one."""
        (self.folder / META / f"{flow_id}.json").unlink(missing_ok=True)
        try:
            self._path(flow_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def ids(self) -> list[str]:
        """Return the ids of the flows that have a draft, sorted."""
        return sorted(path.stem for path in self.folder.glob("*.json") if path.is_file())

    def _path(self, flow_id: str) -> Path:
        return self.folder / f"{flow_id}.json"

    def _info(self, flow_id: str, etag: str) -> DraftInfo:
        """Return a draft's meta when it describes these bytes, else only their ETag."""
        meta = self._meta(flow_id)
        if meta is None or meta.get("etag") != etag:
            return DraftInfo(etag)  # saved by a process that died before its meta
        return _info(meta)

    def _meta(self, flow_id: str) -> dict | None:
        try:
            meta = json.loads((self.folder / META / f"{flow_id}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None


def _info(meta: dict) -> DraftInfo:
    """Return a DraftInfo from a meta file's object, ignoring what it does not know."""
    fields = DraftInfo.__dataclass_fields__
    return DraftInfo(**{key: value for key, value in meta.items() if key in fields})


def _text(value: Any) -> str | None:
    """Return a value when it is a string, else None."""
    return value if isinstance(value, str) else None

