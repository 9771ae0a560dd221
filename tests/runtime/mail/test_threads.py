"""Which conversation a reply continues: the session of the newest of our mails it names."""

from __future__ import annotations

import pytest

from runtime.mail import mail_message_id, remember_thread, thread_of
from runtime.mail.threads import THREADS
from runtime.sessions import MemorySessionStore, open_session_store


@pytest.fixture(params=["memory", "sqlite", "redis"])
def sessions(request, tmp_path):
    """Run a test on every session store: the thread index lives where message ids do."""
    if request.param == "memory":
        store = MemorySessionStore()
    elif request.param == "sqlite":
        store = open_session_store(f"sqlite:///{tmp_path / 'sessions.sqlite3'}")
    else:
        store = open_session_store(request.getfixturevalue("redis_url"))
    yield store
    store.close()


def test_our_message_id_carries_the_key_and_the_domain_of_our_address():
    assert mail_message_id("mail.abc", "Acme <support@acme.test>") == "<mail.abc@acme.test>"
    assert mail_message_id("k", "") == "<k@callwright.invalid>"


def test_a_reply_naming_our_mail_finds_its_session(sessions):
    remember_thread(sessions, "<mail.1@acme.test>", "session-1")
    remember_thread(sessions, "<mail.2@acme.test>", "session-2")
    assert thread_of(sessions, ["<MAIL.1@acme.test>"], []) == "session-1"  # ids are compared
    # In-Reply-To first, then References from the newest
    assert thread_of(sessions, [], ["<mail.1@acme.test>", "<mail.2@acme.test>"]) == "session-2"


def test_ids_that_are_not_ours_find_nothing_and_leave_nothing_behind(sessions):
    assert thread_of(sessions, ["<x@customer.test>"], ["<y@customer.test>"]) is None
    # the look-up's claim was taken back: the id is as unseen as before
    assert sessions.claim_message(THREADS, "<x@customer.test>") is None
