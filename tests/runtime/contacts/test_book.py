"""Sessions and their contacts: linked at the start, on the timeline every turn, seen by flows."""

from __future__ import annotations

import pytest

from runtime import Runtime

GREETER = {
    "schema": "callwright/flow@1", "id": "greeter", "start": "hello",
    "blocks": {
        "hello": {"type": "say", "config": {
            "text": "Seen {{ contact.history | length }} before, last on "
                    "{{ contact.last_channel or 'nothing' }}, tier {{ contact.attributes.tier "
                    "or 'none' }}."},
            "exits": {"next": "name"}},
        "name": {"type": "ask", "config": {"prompt": "Your e-mail?"}, "exits": {"next": "keep"}},
        "keep": {"type": "set", "config": {"values": {
            "contact.email": "{{ vars.answer }}", "contact.attributes.tier": "gold"}},
            "exits": {"next": "bye"}},
        "bye": {"type": "end", "config": {"disposition": "known", "text": "Thanks."}},
    },
}


@pytest.fixture
def runtime(make_workspace, records_url, tmp_path):
    """Return a runtime of a workspace with the greeter, its records on SQLite or PostgreSQL."""
    flow = {**GREETER, "variables": {"answer": ""}}
    flow["blocks"] = {**GREETER["blocks"], "name": {
        "type": "ask", "config": {"prompt": "Your e-mail?", "variable": "vars.answer"},
        "exits": {"next": "keep"}}}
    root = make_workspace(flow)
    opened = Runtime.open(root, sessions_url=f"sqlite:///{tmp_path / 's.db'}",
                          database_url=records_url)
    yield opened
    opened.close()


def store_of(runtime: Runtime):
    """Return the runtime's contact store, its timeline entries written (they go behind turns)."""
    runtime.contacts.flush()
    return runtime.contacts.store


def texts(result: dict) -> list[str]:
    """Return what a turn said."""
    return [r.get("text") or r.get("prompt") for r in result["replies"]]


def converse(runtime: Runtime, visitor: str, mail: str) -> str:
    """Run one whole greeter session for a chat visitor; return its session id."""
    first = runtime.chat_turn("greeter", None, "hello", sender=visitor)
    runtime.chat_turn("greeter", first["session"], mail)
    return first["session"]


def test_a_new_visitor_is_a_new_contact_that_flows_see_empty(runtime):
    first = runtime.chat_turn("greeter", None, "hello", sender="visitor-1")
    assert texts(first)[0] == "Seen 0 before, last on nothing, tier none."
    session = runtime.sessions.get(first["session"])
    contact = store_of(runtime).get(session.contact["id"])
    assert contact["identities"] == [{"kind": "chat", "value": "visitor-1"}]


def test_a_returning_visitor_is_greeted_with_their_history_and_attributes(runtime):
    earlier = converse(runtime, "visitor-1", "Ada@Example.org")
    again = runtime.chat_turn("greeter", None, "back again", sender="visitor-1")
    assert texts(again)[0] == "Seen 7 before, last on chat, tier gold."
    session = runtime.sessions.get(again["session"])
    history = session.contact["history"]
    # newest first: the earlier session's disposition, then its messages, then its start
    assert [(h["kind"], h.get("direction"), h["text"]) for h in history] == [
        ("disposition", None, "known"), ("message", "out", "Thanks."),
        ("message", "in", "Ada@Example.org"), ("message", "out", "Your e-mail?"),
        ("message", "out", "Seen 0 before, last on nothing, tier none."),
        ("message", "in", "hello"), ("session", None, "inbound")]
    assert {h["session"] for h in history} == {earlier}
    assert history[0]["when"].endswith("+00:00")


def test_an_email_the_flow_sets_is_linked_in_lower_case(runtime):
    session_id = converse(runtime, "visitor-1", "Ada@Example.org")
    contact_id = runtime.sessions.get(session_id).contact["id"]
    assert store_of(runtime).find("email", "ada@example.org") == contact_id


def test_two_visitors_who_give_one_address_become_one_contact_the_older_one(runtime):
    first = converse(runtime, "visitor-1", "ada@example.org")
    older = runtime.sessions.get(first).contact["id"]
    second = converse(runtime, "visitor-2", "ADA@example.org")
    assert runtime.sessions.get(second).contact["id"] == older
    store = store_of(runtime)
    kinds = {(i["kind"], i["value"]) for i in store.get(older)["identities"]}
    assert kinds == {("chat", "visitor-1"), ("chat", "visitor-2"), ("email", "ada@example.org")}
    assert {e["session"] for e in store.timeline(older)} == {first, second}


def test_an_address_that_is_none_is_not_linked_and_the_session_goes_on(runtime):
    session_id = converse(runtime, "visitor-1", "not an address")
    session = runtime.sessions.get(session_id)
    assert session.disposition == "known"
    assert store_of(runtime).find("email", "not an address") is None


def test_a_simulation_makes_no_contact(runtime):
    from runtime.commands.simulator import simulated_session
    flow = runtime.workspace.flow("greeter")
    session = simulated_session(runtime.engine, flow, "chat", trigger_text="hi", vars=None,
                                sender="visitor-9", to=None, now=None)
    runtime.contacts.opened(session)
    runtime.contacts.turned(session, [("out", "hi")])
    assert session.contact["id"] is None
    assert store_of(runtime).find("chat", "visitor-9") is None


def test_a_phone_and_a_crm_id_a_flow_set_are_linked_in_their_written_form(runtime):
    from runtime.contacts import ContactBook
    from runtime.sessions import Session
    book = ContactBook(runtime.contacts.store, "DE")
    session = Session(id=Session.new_id(), flow_id="greeter", flow_version="v", channel="chat",
                      block="hello", vars={}, contact={"from": "visitor-5"}, trigger={})
    book.opened(session)
    session.turns = 1
    session.contact.update(phone="0151 1234 5678", crm_id=" C-77 ")
    book.turned(session, [])
    book.close()
    store = runtime.contacts.store
    assert store.find("phone", "+4915112345678") == session.contact["id"]
    assert store.find("crm_id", "C-77") == session.contact["id"]
    assert store.find("chat", "visitor-5") == session.contact["id"]


def test_the_timeline_is_written_behind_the_turn_within_moments_without_asking(runtime):
    import time
    first = runtime.chat_turn("greeter", None, "hello", sender="visitor-1")
    contact_id = runtime.sessions.get(first["session"]).contact["id"]
    deadline = time.monotonic() + 5
    while not runtime.contacts.store.timeline(contact_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e["kind"] for e in runtime.contacts.store.timeline(contact_id)][-1] == "session"


def test_a_contact_store_that_fails_never_stops_a_conversation(runtime, caplog):
    from sqlalchemy import text
    with runtime.records.engine.begin() as conn:
        conn.execute(text("DROP TABLE contact_identities"))
    first = runtime.chat_turn("greeter", None, "hello", sender="visitor-1")
    assert texts(first)[0] == "Seen 0 before, last on nothing, tier none."
    second = runtime.chat_turn("greeter", first["session"], "ada@example.org")
    assert second["ended"] is True
    assert "could not be found" in caplog.text


def test_an_anonymous_chat_visitor_is_nobody_known_until_the_flow_links_what_they_gave(runtime):
    # no visitor id: they can never be recognised, so no contact is kept for the session (and
    # its turns go to no store) until the flow links an identity; that contact's timeline then
    # goes on from the turn that linked it
    first = runtime.chat_turn("greeter", None, "hello")
    assert runtime.sessions.get(first["session"]).contact["id"] is None
    runtime.chat_turn("greeter", first["session"], "Grace@Example.org")  # links the address
    contact_id = runtime.sessions.get(first["session"]).contact["id"]
    contact = store_of(runtime).get(contact_id)
    assert contact["identities"] == [{"kind": "email", "value": "grace@example.org"}]
    assert contact["attributes"] == {"tier": "gold"}
    entries = store_of(runtime).timeline(contact_id, limit=20)
    assert ("in", "Grace@Example.org") in {(e["direction"], e["text"]) for e in entries}
