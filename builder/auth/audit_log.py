"""The audit log: who did what to which target, when and from which address."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from runtime.records.schema import audit as audit_table

MAX_ENTRIES = 500


def _text(text: str, most: int) -> str:
    """Return text fit for a column: at most `most` characters, no NUL (PostgreSQL refuses it)."""
    return text.replace("\x00", "\ufffd")[:most]


class AuditLog:
    """The audit entries of one records database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, actor: str, actor_kind: str, action: str, target_kind: str,
               target_id: str | None = None, detail: Mapping[str, Any] | None = None,
               address: str | None = None) -> None:
        """Add an entry; the detail is a JSON object (never put a secret in it)."""
        with self.engine.begin() as conn:
            conn.execute(audit_table.insert().values(
                at=time.time(), actor=_text(actor, 128), actor_kind=actor_kind,
                action=_text(action, 32), target_kind=_text(target_kind, 32),
                target_id=None if target_id is None else _text(str(target_id), 128),
                detail=json.dumps(dict(detail or {}), ensure_ascii=False, default=str),
                address=None if address is None else _text(address, 64)))

    def entries(self, *, limit: int = 100, before: float | None = None,
                action: str | None = None, target: str | None = None) -> list[dict[str, Any]]:
        """Return entries, newest first: older than `before`, of an action, about a target id."""
        query = select(audit_table).order_by(audit_table.c.at.desc(), audit_table.c.id.desc())
        if before is not None:
            query = query.where(audit_table.c.at < before)
        if action is not None:
            query = query.where(audit_table.c.action == action)
        if target is not None:
            query = query.where(audit_table.c.target_id == target)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(min(limit, MAX_ENTRIES))).all()
        return [{"at": row.at, "actor": row.actor, "actor_kind": row.actor_kind,
                 "action": row.action, "target_kind": row.target_kind,
                 "target_id": row.target_id, "detail": json.loads(row.detail),
                 "address": row.address} for row in rows]
