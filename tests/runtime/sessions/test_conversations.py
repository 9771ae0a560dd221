"""Every session store finds a contact's waiting conversation and remembers inbound message ids."""

from __future__ import annotations

import threading
import time

import pytest

from runtime.sessions.session import Frame, Session
from runtime.sessions import StaleSession


def session(**changes) -> Session:
    base = dict(id=Session.new_id(), flow_id="support", flow_version="v1", channel="sms",
                block="menu", vars={}, contact={"from": "+4915112345678", "to": "+4930999000"},
                trigger={}, status="waiting")
    return Session(**{**base, **changes})


def test_a_waiting_session_is_found_by_channel_contact_and_flow(store):
    waiting = session()
    store.save(waiting)
    assert store.open_session("sms", "+4915112345678", "support") == waiting.id
    assert store.open_session("webhook", "+4915112345678", "support") is None
    assert store.open_session("sms", "+4915100000000", "support") is None
    assert store.open_session("sms", "+4915112345678", "other-flow") is None


def test_an_ended_session_is_no_longer_found(store):
    waiting = session()
    store.save(waiting)
    waiting.status, waiting.disposition = "ended", "completed"
    store.save(waiting)
    assert store.open_session("sms", "+4915112345678", "support") is None


def test_a_deleted_session_is_no_longer_found(store):
    waiting = session()
    store.save(waiting)
    store.delete(waiting.id)
    assert store.open_session("sms", "+4915112345678", "support") is None


def test_a_session_inside_a_subflow_is_found_under_the_flow_it_started_on(store):
    nested = session(flow_id="verify-pin", frames=[Frame("support", "v1", "call", {}, {})])
    store.save(nested)
    assert store.open_session("sms", "+4915112345678", "support") == nested.id
    assert store.open_session("sms", "+4915112345678", "verify-pin") is None


def test_the_newest_waiting_session_of_a_contact_wins_and_the_older_one_leaves_no_trace(store):
    older, newer = session(), session()
    store.save(older)
    store.save(newer)
    assert store.open_session("sms", "+4915112345678", "support") == newer.id
    older.status = "ended"
    store.save(older)  # ending the older one must not take the newer one out of the index
    assert store.open_session("sms", "+4915112345678", "support") == newer.id


def test_a_replaced_waiting_session_is_not_found_again_when_the_newer_one_ends(store):
    older, newer = session(), session()
    store.save(older)
    store.save(newer)
    newer.status = "ended"
    store.save(newer)
    assert store.open_session("sms", "+4915112345678", "support") is None


def test_sessions_without_a_contact_address_are_not_indexed(store):
    chat = session(channel="chat", contact={})
    store.save(chat)
    assert store.open_session("chat", "", "support") is None


def test_a_stale_save_changes_neither_the_session_nor_the_index(store):
    waiting = session()
    store.save(waiting)
    stale = store.get(waiting.id)
    waiting.status = "ended"
    store.save(waiting)
    stale.status = "waiting"
    with pytest.raises(StaleSession):
        store.save(stale)
    assert store.open_session("sms", "+4915112345678", "support") is None
    assert store.get(waiting.id).status == "ended"


def test_a_message_id_is_new_once_then_names_the_session_it_went_to(store):
    assert store.claim_message("webhook", "m-1") is None
    assert store.claim_message("webhook", "m-1") == ""  # still being handled
    store.settle_message("webhook", "m-1", "s-1")
    assert store.claim_message("webhook", "m-1") == "s-1"
    assert store.claim_message("sms", "m-1") is None  # ids are per channel


def test_a_forgotten_claim_lets_the_redelivery_through(store):
    assert store.claim_message("webhook", "m-2") is None
    store.settle_message("webhook", "m-2", None)
    assert store.claim_message("webhook", "m-2") is None


def test_concurrent_deliveries_of_one_id_let_exactly_one_through(store):
    results: list = []
    barrier = threading.Barrier(8)

    def deliver() -> None:
        """Claim the id at the same moment as the others."""
        barrier.wait()
        results.append(store.claim_message("webhook", "m-race"))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results.count(None) == 1 and len(results) == 8


@pytest.fixture(params=["sqlite", "redis"])
def expiring_store(request, open_backend):
    """A store with `expire` (the periodic clean-up's), one per backend that has it."""
    return open_backend(request.param)


def test_expiry_forgets_old_message_ids_and_the_index_of_expired_sessions(expiring_store):
    store = expiring_store
    waiting = session()
    store.save(waiting)
    store.claim_message("webhook", "old")
    assert store.expire(before=waiting.updated_at + 1) == 1
    assert store.get(waiting.id) is None
    assert store.open_session("sms", "+4915112345678", "support") is None
    assert store.claim_message("webhook", "old") is None


def test_expiry_keeps_sessions_and_message_ids_saved_since(expiring_store):
    store = expiring_store
    old, recent = session(), session(contact={"from": "+4915100000001"})
    store.save(old)
    store.claim_message("webhook", "m-old")
    cut = moment_after(time.time())
    store.save(recent)  # saved after `cut`: the clock has moved on
    store.claim_message("webhook", "m-recent")
    assert store.expire(before=cut) == 1
    assert store.get(old.id) is None and store.get(recent.id) == recent
    assert store.open_session("sms", "+4915100000001", "support") == recent.id
    assert store.claim_message("webhook", "m-old") is None
    assert store.claim_message("webhook", "m-recent") == ""


def moment_after(then: float) -> float:
    """Return a clock reading later than `then`, once the clock has moved past it too."""
    now = time.time()
    while now <= then:  # the clock ticks in microseconds: a few turns at most
        now = time.time()
    while time.time() <= now:
        pass
    return now
