"""The voice node's live figures, shared with the HTTP workers through a file in the workspace.

The node (one process, `callwright voice`) writes its snapshot every second to
`.callwright/voice.json`, whole or not at all (a temporary file renamed over it); the API
(`GET /api/v1/voice`) and `/metrics` read it. A snapshot older than `STALE_S` means no node is
running: the figures are reported with `live: false`.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

FILE = Path(".callwright") / "voice.json"
STALE_S = 5.0


def figures_path(root: Path) -> Path:
    """Return where a workspace's voice node keeps its figures."""
    return root / FILE


def write_figures(root: Path, snapshot: dict) -> None:
    """Replace the figures file with a snapshot, stamped with the time."""
    path = figures_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({**snapshot, "updated_at": time.time(), "pid": os.getpid()})
    handle, temporary = tempfile.mkstemp(prefix=".voice-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_figures(root: Path | None) -> dict:
    """Return the last snapshot with `live` (fresher than STALE_S); an empty one without a node."""
    try:
        if root is None:  # a workspace only in memory has no node
            raise FileNotFoundError
        snapshot = json.loads(figures_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"live": False, "backends": {}, "calls": None, "updated_at": None}
    snapshot["live"] = time.time() - float(snapshot.get("updated_at") or 0) < STALE_S
    return snapshot
