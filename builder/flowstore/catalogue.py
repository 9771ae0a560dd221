"""The list of flows the editor shows: every flow with a file, a live version or a draft."""

from __future__ import annotations

from typing import Any

from runtime.validation import read_json
from runtime.workspace import Workspace

from .drafts import DraftInfo, DraftStore
from .times import iso
from .versions import Version, VersionLog


def catalogue(workspace: Workspace, drafts: DraftStore, versions: VersionLog) -> list[dict]:
    """Return `{id, name, description, live, draft}` for every flow, sorted by id."""
    root = workspace.root
    files = {path.stem for path in (root / "flows").glob("*.json")} if root else set()
    draft_ids = set(drafts.ids())
    newest = versions.newest()
    entries = []
    for flow_id in sorted(files | draft_ids | set(workspace.flows)):
        draft = drafts.info(flow_id) if flow_id in draft_ids else None
        head = _head(workspace, flow_id, draft)
        entries.append({"id": flow_id, "name": head.get("name") or flow_id,
                        "description": head.get("description"),
                        "live": _live(workspace, versions, newest.get(flow_id), flow_id),
                        "draft": _draft(draft)})
    return entries


def _head(workspace: Workspace, flow_id: str, draft: DraftInfo | None) -> dict[str, Any]:
    """Return the name and description a flow is listed with: its draft's, else its file's."""
    if draft is not None:
        return {"name": draft.name, "description": draft.description}
    doc = workspace.docs.get(flow_id)
    if doc is None and workspace.root is not None:  # a file that never went live
        _, doc, _ = read_json(workspace.root / "flows" / f"{flow_id}.json")
    if not isinstance(doc, dict):
        return {}
    return {key: doc.get(key) if isinstance(doc.get(key), str) else None
            for key in ("name", "description")}


def _live(workspace: Workspace, versions: VersionLog, newest: Version | None,
          flow_id: str) -> dict | None:
    """Return the version that runs, or None when the flow is not live."""
    flow = workspace.flows.get(flow_id)
    if flow is None:
        return None
    version = newest if newest is not None and newest.content_hash == flow.version \
        else versions.with_hash(flow_id, flow.version)  # a reload not recorded yet
    if version is None:
        return {"number": None, "content_hash": flow.version, "published_at": None,
                "author": None}
    return {"number": version.number, "content_hash": version.content_hash,
            "published_at": iso(version.created_at), "author": version.author}


def _draft(info: DraftInfo | None) -> dict | None:
    """Return the draft's part of a listing."""
    if info is None:
        return None
    return {"etag": info.etag, "saved_at": iso(info.saved_at), "saved_by": info.saved_by}
