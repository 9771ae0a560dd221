"""The contact store: identities, timelines, merges and erasure, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import inspect

from runtime.contacts import ContactStore, erase_contact
from runtime.records import ExecutionLog, RecordingStore, RecordsDatabase, head, revision
from runtime.sessions import MemorySessionStore, Session

PHONE = ("phone", "+4915112345678")
MAIL = ("email", "ada@example.org")


@pytest.fixture
def records(records_url):
    """Return a fresh records database, migrated."""
    database = RecordsDatabase(records_url)
    yield database
    database.close()


@pytest.fixture
def store(records):
    """Return a contact store over a fresh records database."""
    return ContactStore(records.engine)


def entry(session: str, kind: str = "message", text: str = "hi", channel: str = "sms",
          at: float | None = None, direction: str | None = "in") -> dict:
    """Return a timeline entry."""
    return {"at": at or time.time(), "channel": channel, "kind": kind, "direction": direction,
            "session": session, "flow": "support", "text": text}


def test_the_contact_tables_come_with_migration_0005_contacts(records):
    assert revision(records.engine) == head() == "0005_contacts"
    tables = set(inspect(records.engine).get_table_names())
    assert {"contacts", "contact_identities", "contact_events"} <= tables


def test_an_identity_finds_the_contact_it_made_the_first_time(store):
    first = store.open(*PHONE)
    assert store.open(*PHONE) == first
    assert store.find(*PHONE) == first
    assert store.find("phone", "+4930000000") is None
    assert store.get(first)["identities"] == [{"kind": "phone", "value": PHONE[1]}]


def test_a_timeline_lists_entries_newest_first_and_pages_on(store):
    contact = store.open(*PHONE)
    store.record(contact, [entry("s1", text=f"message {i}", at=100.0 + i) for i in range(5)])
    page = store.timeline(contact, limit=2)
    assert [e["text"] for e in page] == ["message 4", "message 3"]
    rest = store.timeline(contact, before=page[-1]["id"])
    assert [e["text"] for e in rest] == ["message 2", "message 1", "message 0"]
    shown = store.get(contact)
    assert (shown["last_channel"], shown["last_seen"], shown["sessions"]) == ("sms", 104.0, 1)


def test_linking_an_identity_another_contact_holds_merges_into_the_older_one(store):
    older = store.open(*MAIL)
    store.record(older, [entry("call", channel="voice", at=50.0)], attributes={"tier": "gold",
                                                                            "lang": "en"})
    newer = store.open(*PHONE)
    store.record(newer, [entry("text", at=60.0)], attributes={"lang": "de", "pet": "cat"})
    kept = store.link(newer, *MAIL)
    assert kept == older
    shown = store.get(older)
    assert {(i["kind"], i["value"]) for i in shown["identities"]} == {PHONE, MAIL}
    # the kept contact's attributes win; the other's fill what it lacks
    assert shown["attributes"] == {"tier": "gold", "lang": "en", "pet": "cat"}
    assert [e["session"] for e in store.timeline(older)] == ["text", "call"]
    assert shown["last_seen"] == 60.0 and shown["last_channel"] == "sms"


def test_a_merged_away_id_answers_with_where_it_went(store):
    keep, other, third = store.open(*MAIL), store.open(*PHONE), store.open("crm_id", "C-1")
    store.merge(other, third)
    store.merge(keep, other)
    assert store.get(other) == {"contact": other, "merged_into": keep}
    assert store.get(third) == {"contact": third, "merged_into": keep}
    assert store.resolve(third) == keep
    assert store.merge(keep, third) == keep  # merging what is already one changes nothing


def test_merging_an_unknown_contact_is_refused_and_changes_nothing(store):
    keep = store.open(*MAIL)
    with pytest.raises(KeyError):
        store.merge(keep, "0" * 32)
    assert store.get(keep)["identities"] == [{"kind": "email", "value": MAIL[1]}]


def test_an_id_no_contact_can_have_is_nobody(store):
    assert store.get("x\x00y") is None
    assert store.get("z" * 40) is None
    assert store.resolve("nobody") is None


def test_erasure_removes_the_contact_its_timeline_steps_recordings_and_sessions(records, store,
                                                                                 tmp_path):
    sessions = MemorySessionStore()
    log = ExecutionLog(records.engine)
    recordings = RecordingStore(records.engine, tmp_path / "ws")
    contact, stranger = store.open(*PHONE), store.open(*MAIL)
    mine = Session(id=Session.new_id(), flow_id="support", flow_version="v", channel="voice",
                   block="b", vars={}, contact={"from": PHONE[1]}, trigger={})
    theirs = Session(id=Session.new_id(), flow_id="support", flow_version="v", channel="voice",
                     block="b", vars={}, contact={}, trigger={})
    for session, owner in ((mine, contact), (theirs, stranger)):
        sessions.save(session)
        log.record(session, [("support", "b", "next", 0.001, {}, None)])
        store.record(owner, [entry(session.id, channel="voice")])
    kept = recordings.add(session_id=mine.id, flow_id="support", block="b", seconds=1.0,
                          pcm=bytes(1600))
    other = recordings.add(session_id=theirs.id, flow_id="support", block="b", seconds=1.0,
                           pcm=bytes(1600))
    wav = tmp_path / "ws" / kept.path
    erased = erase_contact(store, contact, executions=log, recordings=recordings,
                           sessions=sessions)
    assert erased.as_dict() == {"contact": contact, "erased": True, "sessions": 1, "steps": 1,
                                "recordings": 1}
    assert store.get(contact) is None and store.find(*PHONE) is None
    assert log.steps(mine.id) == [] and sessions.get(mine.id) is None
    assert recordings.get(kept.id) is None and not wav.exists()
    # nobody else's data goes with it
    assert len(log.steps(theirs.id)) == 1 and sessions.get(theirs.id) is not None
    assert recordings.get(other.id) is not None and store.get(stranger) is not None
    log.close()


def test_entries_for_a_merged_away_contact_land_on_the_one_kept_and_an_erased_one_gets_none(store):
    keep, other = store.open(*MAIL), store.open(*PHONE)
    store.merge(keep, other)
    assert store.record(other, [entry("late")]) == keep
    assert [e["session"] for e in store.timeline(keep)] == ["late"]
    store.erase(keep)
    assert store.record(keep, [entry("later")]) is None
    assert store.timeline(keep) == [] and store.get(keep) is None


def test_sessions_of_a_new_customer_starting_at_once_find_one_contact(store):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    from sqlalchemy import func, select
    from runtime.records.schema import contacts
    start = Barrier(8)

    def open_one(_: int) -> str:
        start.wait(timeout=10)
        return store.open(*PHONE)
    with ThreadPoolExecutor(8) as pool:
        found = set(pool.map(open_one, range(8)))
    assert len(found) == 1
    with store.engine.connect() as conn:
        # a loser of the race made its contact and identity in one transaction: both undone
        made = conn.scalar(select(func.count()).select_from(contacts))
    assert store.find(*PHONE) in found and made == 1
