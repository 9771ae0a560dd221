"""The contact store: contacts, their identities and timelines in the records database.

SQLAlchemy Core on the records database's engine (SQLite by default, PostgreSQL by URL). Two
contacts found to be one customer are merged: the one kept gets the other's identities,
attributes it lacks and timeline; the other's row stays with `merged_into`, so its id still
says where it went.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from runtime.jsontext import dump_text
from runtime.records.schema import contact_events as events_table
from runtime.records.schema import contact_identities as identities_table
from runtime.records.schema import contacts as contacts_table

MAX_TEXT = 2000  # characters of a message kept on the timeline; the transcript has the rest
MAX_PAGE = 500
_MAX_HOPS = 32  # merged_into chains are re-pointed on merge; this only bounds a broken one


class ContactStore:
    """Finds, creates, links, merges and erases contacts; keeps their timelines."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def resolve(self, contact_id: str) -> str | None:
        """Return the contact an id names now (following merges), None when there is none."""
        if not _plausible(contact_id):
            return None
        with self.engine.connect() as conn:
            return _resolve(conn, contact_id)

    def find(self, kind: str, value: str) -> str | None:
        """Return the contact that holds an identity, None when nobody does."""
        if "\x00" in value:
            return None
        with self.engine.connect() as conn:
            return conn.scalar(select(identities_table.c.contact_id)
                               .where(identities_table.c.kind == kind)
                               .where(identities_table.c.value == value))

    def of_session(self, session_id: str) -> str | None:
        """Return the contact a session was with (its timeline holds it), None when unknown."""
        if "\x00" in session_id:
            return None
        with self.engine.connect() as conn:
            return conn.scalar(select(events_table.c.contact_id)
                               .where(events_table.c.session_id == session_id).limit(1))

    def open(self, kind: str, value: str) -> str:
        """Return the contact that holds an identity, made now when nobody does."""
        return self.find_or_create(kind, value)[0]

    def find_or_create(self, kind: str, value: str) -> tuple[str, bool]:
        """Return the contact that holds an identity and whether it was made just now."""
        for _ in range(3):  # two sessions of a new customer may start at the same instant
            found = self.find(kind, value)
            if found is not None:
                return found, False
            try:
                return self.create([(kind, value)]), True
            except IntegrityError:
                continue
        raise RuntimeError(f"could not find or create the contact of {kind} {value!r}")

    def create(self, identities: Iterable[tuple[str, str]] = (),
               attributes: dict | None = None) -> str:
        """Make a contact with identities nobody holds yet; return its id."""
        contact_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            _create(conn, contact_id, identities, attributes)
        return contact_id

    def link(self, contact_id: str, kind: str, value: str) -> str:
        """Give a contact an identity; when another contact holds it, merge the two.

        The rule: the contact made first is kept and the other merged into it, whichever
        side the identity came from. Return the contact that holds the identity afterwards.
        """
        holder = self.find(kind, value)
        if holder == contact_id:
            return contact_id
        if holder is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(identities_table).values(
                        kind=kind, value=value, contact_id=contact_id, created_at=time.time()))
                return contact_id
            except IntegrityError:  # linked elsewhere meanwhile: merge with that one below
                holder = self.find(kind, value)
                if holder is None or holder == contact_id:
                    return contact_id
        first, second = self._by_age(contact_id, holder)
        return self.merge(first, second)

    def merge(self, keep: str, other: str) -> str:
        """Merge `other` into `keep` (identities, missing attributes, timeline); return keep."""
        with self.engine.begin() as conn:
            keep, other = _resolve(conn, keep), _resolve(conn, other)
            if keep is None or other is None:
                raise KeyError("no such contact")
            if keep == other:
                return keep
            rows = {row.id: row for row in conn.execute(
                select(contacts_table).where(contacts_table.c.id.in_([keep, other])))}
            kept, gone = rows[keep], rows[other]
            attributes = {**json.loads(gone.attributes), **json.loads(kept.attributes)}
            seen = [(r.last_seen, r.last_channel) for r in (kept, gone) if r.last_seen is not None]
            last_seen, last_channel = max(seen) if seen else (None, None)
            now = time.time()
            conn.execute(update(contacts_table).where(contacts_table.c.id == keep).values(
                attributes=dump_text(attributes), last_seen=last_seen, last_channel=last_channel,
                created_at=min(kept.created_at, gone.created_at), updated_at=now))
            conn.execute(update(identities_table).where(identities_table.c.contact_id == other)
                         .values(contact_id=keep))
            conn.execute(update(events_table).where(events_table.c.contact_id == other)
                         .values(contact_id=keep))
            # ids merged into the other before now point straight at the one kept
            conn.execute(update(contacts_table).where(contacts_table.c.merged_into == other)
                         .values(merged_into=keep))
            conn.execute(update(contacts_table).where(contacts_table.c.id == other).values(
                merged_into=keep, attributes="{}", last_seen=None, last_channel=None,
                updated_at=now))
        return keep

    def get(self, contact_id: str) -> dict | None:
        """Return a contact as the API shows it (a merged one: only where it went), or None."""
        if not _plausible(contact_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(contacts_table).where(contacts_table.c.id == contact_id)
                               ).first()
            if row is None:
                return None
            if row.merged_into is not None:
                return {"contact": row.id, "merged_into": _resolve(conn, row.merged_into)}
            identities = conn.execute(
                select(identities_table.c.kind, identities_table.c.value)
                .where(identities_table.c.contact_id == contact_id)
                .order_by(identities_table.c.kind, identities_table.c.value)).all()
            sessions = conn.scalar(select(func.count(func.distinct(events_table.c.session_id)))
                                   .where(events_table.c.contact_id == contact_id))
        return {"contact": row.id, "merged_into": None,
                "identities": [{"kind": kind, "value": value} for kind, value in identities],
                "attributes": json.loads(row.attributes), "last_channel": row.last_channel,
                "last_seen": row.last_seen, "sessions": sessions or 0,
                "created_at": row.created_at, "updated_at": row.updated_at}

    def timeline(self, contact_id: str, *, limit: int = 100,
                 before: int | None = None) -> list[dict]:
        """Return a contact's timeline, newest first; `before` (an entry's `id`) pages on."""
        query = select(events_table).where(events_table.c.contact_id == contact_id)
        if before is not None:
            query = query.where(events_table.c.id < before)
        query = query.order_by(events_table.c.id.desc()).limit(min(limit, MAX_PAGE))
        with self.engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def record(self, contact_id: str, entries: list[dict], *,
               attributes: dict | None = None) -> str | None:
        """Add entries (at, channel, kind, direction, session, flow, text) to a timeline.

        The contact's `last_channel` and `last_seen` follow its newest entry; `attributes`,
        when given, replace the contact's. A contact merged away meanwhile has them recorded on
        the one it went into; an erased one gets nothing. Return the contact recorded on.
        """
        return self.record_many([(contact_id, entries, attributes)])[0]

    def record_many(self, batch: list[tuple[str, list[dict], dict | None]]) -> list[str | None]:
        """Record several (contact, entries, attributes) in one transaction, in order.

        Each contact is updated once whatever the number of its turns in the batch (its newest
        entry, its latest attributes), and every entry goes in one multi-row insert, so a busy
        channel costs statements per contact and batch, not per turn."""
        entries_of: dict[str, list[dict]] = {}
        attributes_of: dict[str, dict | None] = {}
        for contact_id, entries, attributes in batch:
            entries_of.setdefault(contact_id, []).extend(entries)
            if attributes is not None or contact_id not in attributes_of:
                attributes_of[contact_id] = attributes
        recorded_on: dict[str, str | None] = {}
        rows: list[dict] = []
        with self.engine.begin() as conn:
            for contact_id, entries in entries_of.items():
                recorded_on[contact_id] = found = _record(conn, contact_id, entries,
                                                          attributes_of[contact_id])
                if found is not None:
                    rows.extend(_row(found, entry) for entry in entries)
            if rows:
                conn.execute(insert(events_table), rows)
        return [recorded_on[contact_id] for contact_id, _, _ in batch]

    def summary(self, contact_id: str) -> dict | None:
        """Return what a session starts with: last_channel, last_seen and attributes."""
        with self.engine.connect() as conn:
            row = conn.execute(select(contacts_table.c.last_channel, contacts_table.c.last_seen,
                                      contacts_table.c.attributes)
                               .where(contacts_table.c.id == contact_id)).first()
        if row is None:
            return None
        return {"last_channel": row.last_channel, "last_seen": row.last_seen,
                "attributes": json.loads(row.attributes)}

    def attributes(self, contact_id: str) -> dict:
        """Return a contact's attributes ({} when it has none or does not exist)."""
        with self.engine.connect() as conn:
            text = conn.scalar(select(contacts_table.c.attributes)
                               .where(contacts_table.c.id == contact_id))
        return json.loads(text) if text else {}

    def identities(self, contact_id: str) -> set[tuple[str, str]]:
        """Return the (kind, value) pairs a contact holds."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(identities_table.c.kind, identities_table.c.value)
                                .where(identities_table.c.contact_id == contact_id)).all()
        return {(kind, value) for kind, value in rows}

    def sessions(self, contact_id: str) -> list[str]:
        """Return the ids of every session on a contact's timeline."""
        with self.engine.connect() as conn:
            return sorted(conn.scalars(select(events_table.c.session_id.distinct())
                                       .where(events_table.c.contact_id == contact_id)
                                       .where(events_table.c.session_id.is_not(None))))

    def erase(self, contact_id: str) -> list[str]:
        """Remove a contact, its identities, its timeline and the ids merged into it.

        Return the ids of its sessions, whose transcripts and recordings the caller erases.
        """
        sessions = self.sessions(contact_id)
        with self.engine.begin() as conn:
            conn.execute(delete(events_table).where(events_table.c.contact_id == contact_id))
            conn.execute(delete(identities_table)
                         .where(identities_table.c.contact_id == contact_id))
            conn.execute(delete(contacts_table).where(
                (contacts_table.c.id == contact_id)
                | (contacts_table.c.merged_into == contact_id)))
        return sessions

    def _by_age(self, first: str, second: str) -> tuple[str, str]:
        """Return two contacts, the one made first first (ties: by id)."""
        with self.engine.connect() as conn:
            made = dict(conn.execute(select(contacts_table.c.id, contacts_table.c.created_at)
                                     .where(contacts_table.c.id.in_([first, second]))).all())
        ordered = sorted((first, second), key=lambda c: (made.get(c, float("inf")), c))
        return ordered[0], ordered[1]


def _plausible(contact_id: str) -> bool:
    """Return False for an id no contact can have (PostgreSQL refuses a NUL outright)."""
    return 0 < len(contact_id) <= 32 and "\x00" not in contact_id


def _resolve(conn: Connection, contact_id: str) -> str | None:
    """Follow `merged_into` from an id to the contact it names now."""
    for _ in range(_MAX_HOPS):
        row = conn.execute(select(contacts_table.c.merged_into)
                           .where(contacts_table.c.id == contact_id)).first()
        if row is None:
            return None
        if row.merged_into is None:
            return contact_id
        contact_id = row.merged_into
    return None


def _create(conn: Connection, contact_id: str, identities: Iterable[tuple[str, str]],
            attributes: dict | None) -> None:
    """Insert a contact and its identities."""
    now = time.time()
    conn.execute(insert(contacts_table).values(
        id=contact_id, attributes=dump_text(attributes or {}), created_at=now, updated_at=now))
    for kind, value in identities:
        conn.execute(insert(identities_table).values(
            kind=kind, value=value, contact_id=contact_id, created_at=now))


def _record(conn: Connection, contact_id: str, entries: list[dict],
            attributes: dict | None) -> str | None:
    """Bring a contact up to its entries and attributes; return the contact they belong on
    (the one it was merged into), None when it was erased. The entries are the caller's to
    insert."""
    values: dict[str, Any] = {"updated_at": time.time()}
    newest = _newest(entries)
    if newest is not None:
        values.update(last_channel=newest["channel"], last_seen=newest["at"])
    if attributes is not None:
        values["attributes"] = dump_text(attributes)
    table = contacts_table
    changed = conn.execute(update(table).where(table.c.id == contact_id)
                           .where(table.c.merged_into.is_(None)).values(**values))
    if changed.rowcount == 0:  # merged away (or erased) since the session began
        contact_id = _resolve(conn, contact_id)
        if contact_id is None:
            return None
        conn.execute(update(table).where(table.c.id == contact_id).values(**values))
    return contact_id


def _newest(entries: list[dict]) -> dict | None:
    """Return the newest of some timeline entries, or None."""
    return max(entries, key=lambda e: e["at"]) if entries else None


def _row(contact_id: str, entry: dict) -> dict:
    """Return the database row of a timeline entry."""
    text = entry.get("text")
    return {"contact_id": contact_id, "at": entry["at"], "channel": entry["channel"][:16],
            "kind": entry["kind"], "direction": entry.get("direction"),
            "session_id": entry.get("session"), "flow_id": entry.get("flow"),
            "text": None if text is None else str(text).replace("\x00", "\ufffd")[:MAX_TEXT]}


def _entry(row: Any) -> dict:
    """Return a timeline entry as flows and the API see it."""
    return {"id": row.id, "at": row.at, "channel": row.channel, "kind": row.kind,
            "direction": row.direction, "session": row.session_id, "flow": row.flow_id,
            "text": row.text}


__all__ = ["ContactStore", "MAX_TEXT"]
