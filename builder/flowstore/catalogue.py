"""The list of documents the editor shows: every one with a file, a live version or a draft."""

from __future__ import annotations

from typing import Any

from runtime.validation import read_json
from runtime.workspace import Workspace

from .drafts import DraftInfo, DraftStore
from .kinds import FLOW, Kind
from .times import iso
from .versions import Version, VersionLog


def catalogue(workspace: Workspace, drafts: DraftStore, versions: VersionLog,
              kind: Kind = FLOW) -> list[dict]:
    """Return `{id, name, description, live, draft}` for every document of a kind, by id."""
    root = workspace.root
    files = {path.stem for path in (root / kind.folder).glob("*.json")} if root else set()
    draft_ids = set(drafts.ids())
    newest = versions.newest()
    entries = []
    for doc_id in sorted(files | draft_ids | kind.live_ids(workspace)):
        draft = drafts.info(doc_id) if doc_id in draft_ids else None
        head = _head(workspace, kind, doc_id, draft)
        entries.append({"id": doc_id, "name": head.get("name") or doc_id,
                        "description": head.get("description"),
                        "live": _live(workspace, kind, versions, newest.get(doc_id), doc_id),
                        "draft": _draft(draft)})
    return entries


def _head(workspace: Workspace, kind: Kind, doc_id: str,
          draft: DraftInfo | None) -> dict[str, Any]:
    """Return the name and description a document is listed with: its draft's, else its file's."""
    if draft is not None:
        return {"name": draft.name, "description": draft.description}
    doc = workspace.docs.get(doc_id) if kind is FLOW else None
    if doc is None and workspace.root is not None:  # a file that never went live, a bot, a set
        _, doc, _ = read_json(workspace.root / kind.file(doc_id))
    if not isinstance(doc, dict):
        return {}
    return {key: doc.get(key) if isinstance(doc.get(key), str) else None
            for key in ("name", "description")}


def _live(workspace: Workspace, kind: Kind, versions: VersionLog, newest: Version | None,
          doc_id: str) -> dict | None:
    """Return the version that runs, or None when the document is not live."""
    content_hash = kind.live_hash(workspace, doc_id)
    if content_hash is None:
        return None
    version = newest if newest is not None and newest.content_hash == content_hash \
        else versions.with_hash(doc_id, content_hash)  # a reload not recorded yet
    if version is None:
        return {"number": None, "content_hash": content_hash, "published_at": None,
                "author": None}
    return {"number": version.number, "content_hash": version.content_hash,
            "published_at": iso(version.created_at), "author": version.author}


def _draft(info: DraftInfo | None) -> dict | None:
    """Return the draft's part of a listing."""
    if info is None:
        return None
    return {"etag": info.etag, "saved_at": iso(info.saved_at), "saved_by": info.saved_by}
