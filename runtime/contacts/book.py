"""The engine's contact hook: who a session is with, what flows see of them, what they lived.

At a session's first turn the sender's identity (`contact.from`: a phone number on SMS and
voice, an address on e-mail, the visitor on chat) finds or makes the contact, and the session's
`contact` gets `id`, `last_channel`, `last_seen`, `history` (the newest entries, newest first)
and `attributes`. After every turn the turn's messages, and the disposition when it ended, go
on the timeline; an identity a flow verified and set (`contact.email`, `contact.phone`,
`contact.crm_id`) is linked, merging two contacts that turn out to be one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine

from runtime.jsontext import dump_text
from runtime.messaging.numbers import default_region
from runtime.sessions import Session

from .identities import VERIFIED_FIELDS, IdentityError, identity, sender_identity
from .store import ContactStore

log = logging.getLogger(__name__)
HISTORY = 10  # entries of the timeline a session starts with in `contact.history`
HISTORY_TEXT = 200  # characters of each entry's text there (the timeline keeps more)
_CACHED_SESSIONS = 10_000  # running sessions whose contact's state the book remembers


class ContactBook:
    """Keeps contacts and timelines up to date as sessions run (see runtime.engine.ContactHook).

    What it loaded for each running session (the attributes as stored, the identities known to
    be linked) is kept in a bounded cache, so a turn that changes neither reads nothing; a
    session whose entry is missing (another process began it) reads them again. Timeline
    entries are written behind the turn by one thread, in batches, within `flush_s` (as the
    execution log's steps are); a session of a contact with entries waiting, and the API, flush
    first.
    Linking and merging happen in the turn itself.
    """

    def __init__(self, store: ContactStore, region: str | None = None,
                 history: int = HISTORY, flush_s: float = 0.2) -> None:
        self.store = store
        self.region = region
        self.history = history
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: list[tuple[str, list[dict], dict | None]] = []
        self._write_lock = threading.Lock()
        self._flush_s = flush_s
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None  # started by the first turn recorded

    def flush(self) -> None:
        """Write every timeline entry recorded so far, now."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                try:
                    self.store.record_many(batch)
                except Exception:  # the timeline must never take the runtime down; say so loudly
                    log.exception("could not write the timeline entries of %d turns", len(batch))

    def close(self) -> None:
        """Write what is recorded and stop the writer."""
        self._stop.set()
        writer = self._writer
        if writer is not None:
            writer.join(timeout=30)
        self.flush()

    def _write_behind(self) -> None:
        # wakes on a timer, never per turn, so a busy turn loop is not interrupted per message
        while not self._stop.wait(self._flush_s):
            self.flush()

    def _waiting(self, contact_id: str) -> bool:
        """Return True when entries of a contact wait to be written."""
        with self._lock:
            return any(pending[0] == contact_id for pending in self._pending)

    def _queue(self, contact_id: str, entries: list[dict], attributes: dict | None) -> None:
        """Hand a turn's entries to the writer (started now if it is not running)."""
        with self._lock:
            self._pending.append((contact_id, entries, attributes))
        self._wake_writer()

    def _wake_writer(self) -> None:
        """Start the writer if it is not running; write now if the book is closed."""
        with self._lock:
            if self._writer is None and not self._stop.is_set():
                self._writer = threading.Thread(target=self._write_behind, name="contact-timeline",
                                                daemon=True)
                self._writer.start()
        if self._stop.is_set():  # closed: nobody will write it later
            self.flush()

    @classmethod
    def of(cls, engine: Engine, settings: dict) -> ContactBook:
        """Return the book of a records database, reading numbers in `[sms] default_region`."""
        return cls(ContactStore(engine), default_region(settings))

    def needs_store(self, session: Session, starting: bool) -> bool:
        """Say whether `opened` (starting) or `turned` would go to the store for this session:
        not for a simulation, an anonymous chat's start, a turn of nobody known that names no
        identity, nor a turn whose contact the book remembers with every identity the flow set
        already linked."""
        if session.trigger.get("simulation"):
            return False
        if starting:
            return not _anonymous_chat(session)
        verified = self._verified(session)
        if session.contact.get("id") is None:
            return bool(verified)
        seen = self._recall(session.id)
        return seen is None or any(found not in seen.linked for found in verified)

    def opened(self, session: Session) -> None:
        """Find or make the contact of a new session and give the flow what is known of them."""
        if session.trigger.get("simulation"):
            session.contact.update(self.known(None))
            return
        try:
            fields = self._open(session)
        except Exception:  # a contact store that fails must never stop a conversation
            log.exception("the contact of session %s could not be found", session.id)
            fields = self.known(None)
        session.contact.update(fields)

    def _open(self, session: Session) -> dict:
        """Return the `contact.*` fields of a new session's sender, made a contact if new."""
        sender = sender_identity(session.channel, session.contact.get("from"), self.region)
        if sender is None:
            return self.known(None)
        found, made = self.store.find_or_create(*sender)
        if made:
            self._remember(session.id, _Seen("{}", {sender}))
            return {**self.known(None), "id": found}
        if self._waiting(found):
            self.flush()  # what this process recorded of them shows in the history at once
        fields = self.known(found)
        self._remember(session.id, _Seen(dump_text(fields["attributes"]), {sender}))
        return fields

    def known(self, contact_id: str | None) -> dict:
        """Return the `contact.*` fields of a contact (empty ones for nobody)."""
        row = self.store.summary(contact_id) if contact_id is not None else None
        if row is None:
            return {"id": None, "last_channel": None, "last_seen": None, "history": [],
                    "attributes": {}}
        history = [_brief(entry) for entry in self.store.timeline(contact_id, limit=self.history)]
        return {"id": contact_id, "last_channel": row["last_channel"],
                "last_seen": _iso(row["last_seen"]), "history": history,
                "attributes": row["attributes"]}

    def turned(self, session: Session, exchanged: list[tuple[str, str]]) -> None:
        """Put a turn on the contact's timeline and link the identities the flow verified."""
        if session.trigger.get("simulation"):
            return
        try:
            self._turned(session, exchanged)
        except Exception:  # the conversation goes on; the operator hears about it
            log.exception("the timeline of session %s could not be written", session.id)
        if session.status == "ended":
            with self._lock:
                self._seen.pop(session.id, None)

    def _turned(self, session: Session, exchanged: list[tuple[str, str]]) -> None:
        contact = session.contact
        contact_id = contact.get("id")
        seen = self._recall(session.id)
        for kind, value in self._verified(session):
            if seen is not None and (kind, value) in seen.linked:
                continue
            if contact_id is None:
                contact_id = self.store.open(kind, value)
            else:
                if self._waiting(contact_id):
                    self.flush()  # a contact made behind the turn must exist to be linked
                if (kind, value) not in self.store.identities(contact_id):
                    contact_id = self.store.link(contact_id, kind, value)
            if seen is not None:
                seen.linked.add((kind, value))
        if contact_id is None:
            return  # nobody known: an anonymous caller who said who they were nowhere
        attributes = contact.get("attributes")
        changed = None
        if isinstance(attributes, dict):
            text = dump_text(attributes)
            before = seen.attributes if seen is not None \
                else dump_text(self.store.attributes(contact_id))
            changed = attributes if text != before else None
            if seen is None:
                seen = _Seen(text, set())
            seen.attributes = text
        contact["id"] = contact_id
        self._queue(contact_id, _entries(session, exchanged), changed)
        if seen is not None:
            self._remember(session.id, seen)

    def _verified(self, session: Session) -> list[tuple[str, str]]:
        """Return the identities a flow set on the session's contact, in their written form."""
        found = []
        for field, kind in VERIFIED_FIELDS.items():
            value = session.contact.get(field)
            if value in (None, ""):
                continue
            try:
                found.append(identity(kind, value, self.region, f"contact.{field}"))
            except IdentityError as exc:
                log.warning("session %s: %s; not linked to its contact", session.id, exc)
        return found

    def _remember(self, session_id: str, seen: _Seen) -> None:
        with self._lock:
            self._seen[session_id] = seen
            self._seen.move_to_end(session_id)
            while len(self._seen) > _CACHED_SESSIONS:
                self._seen.popitem(last=False)

    def _recall(self, session_id: str) -> _Seen | None:
        with self._lock:
            return self._seen.get(session_id)


@dataclass(slots=True)
class _Seen:
    """What the book knows a running session's contact holds: attributes (as JSON), identities."""

    attributes: str
    linked: set[tuple[str, str]]


def _anonymous_chat(session: Session) -> bool:
    """Say whether a session is a chat whose visitor gave no id."""
    return session.channel == "chat" and not session.contact.get("from")


def _entries(session: Session, exchanged: list[tuple[str, str]]) -> list[dict]:
    """Return the timeline entries of a turn: its start, messages and disposition."""
    flow = session.frames[0].flow_id if session.frames else session.flow_id
    base = {"channel": session.channel, "session": session.id, "flow": flow}
    now = time.time()
    entries = []
    if session.turns == 1:
        direction = session.trigger.get("direction") or "inbound"
        entries.append({**base, "at": session.started_at, "kind": "session", "text": direction})
        if session.trigger.get("text"):
            entries.append({**base, "at": session.started_at, "kind": "message",
                            "direction": "in", "text": session.trigger["text"]})
    entries.extend({**base, "at": now, "kind": "message", "direction": direction, "text": text}
                   for direction, text in exchanged)
    if session.status == "ended":
        entries.append({**base, "at": now, "kind": "disposition", "text": session.disposition})
    return entries


def _brief(entry: dict) -> dict:
    """Return a timeline entry as `contact.history` holds it: small, with a readable time."""
    text = entry["text"]
    return {"at": entry["at"], "when": _iso(entry["at"]), "channel": entry["channel"],
            "kind": entry["kind"], "direction": entry["direction"], "flow": entry["flow"],
            "session": entry["session"],
            "text": text[:HISTORY_TEXT] if isinstance(text, str) else text}


def _iso(at: Any) -> str | None:
    """Return a unix time as ISO 8601 in UTC, to the second."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds")


__all__ = ["HISTORY", "ContactBook"]
