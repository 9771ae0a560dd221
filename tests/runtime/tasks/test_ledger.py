"""The delivery ledger: one row per key, and only one attempt at a time may claim it."""

from __future__ import annotations

import threading

import pytest

from runtime.records import RecordsDatabase
from runtime.tasks.ledger import DeliveryLedger

PAYLOAD = {"channel": "sms", "to": "+1", "text": "hi"}


@pytest.fixture
def ledger(records_url: str) -> DeliveryLedger:
    """Open a ledger in a fresh records database: an SQLite file, then PostgreSQL."""
    records = RecordsDatabase(records_url)
    yield DeliveryLedger(records.engine)
    records.close()


def test_a_key_is_opened_once(ledger):
    assert ledger.open("k", PAYLOAD, 100.0) is True
    assert ledger.open("k", {**PAYLOAD, "text": "other"}, 101.0) is False
    row = ledger.get("k")
    assert (row["state"], row["attempts"], row["payload"]) == ("pending", 0, PAYLOAD)
    assert ledger.get("unknown") is None


def test_claiming_numbers_the_attempts_and_a_delivered_message_is_never_claimed_again(ledger):
    ledger.open("k", PAYLOAD, 100.0)
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=101.0) == 1
    assert ledger.retry("k", 1, "503", due_at=110.0, now=102.0)
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=111.0) == 2
    assert ledger.delivered("k", 2, 112.0)
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=500.0) is None
    row = ledger.get("k")
    assert (row["state"], row["attempts"], row["delivered_at"], row["last_error"]) == \
        ("delivered", 2, 112.0, None)


def test_a_message_being_sent_is_not_claimed_until_its_lease_runs_out(ledger):
    ledger.open("k", PAYLOAD, 100.0)
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=100.0) == 1
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=159.0) is None
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=161.0) == 2
    # the first attempt's worker comes back late: its outcome no longer counts
    assert ledger.delivered("k", 1, 162.0) is False
    assert ledger.get("k")["state"] == "sending"


def test_a_failed_message_keeps_its_reason_and_is_not_claimed_again(ledger):
    ledger.open("k", PAYLOAD, 100.0)
    ledger.claim("k", PAYLOAD, lease_s=60, now=100.0)
    assert ledger.fail("k", 1, "sms gateway answered 422", 101.0)
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=500.0) is None
    assert ledger.get("k")["last_error"] == "sms gateway answered 422"


def test_a_task_whose_key_was_never_opened_is_recorded_when_claimed(ledger):
    assert ledger.claim("k", PAYLOAD, lease_s=60, now=100.0) == 1
    assert ledger.get("k")["payload"] == PAYLOAD


def test_of_many_workers_claiming_at_once_exactly_one_wins(ledger):
    ledger.open("k", PAYLOAD, 100.0)
    results: list[int | None] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait(5)
        results.append(ledger.claim("k", PAYLOAD, lease_s=60, now=101.0))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results, key=str) == [1] + [None] * 7


def test_forgetting_removes_only_a_message_that_never_started(ledger):
    ledger.open("new", PAYLOAD, 100.0)
    ledger.open("started", PAYLOAD, 100.0)
    ledger.claim("started", PAYLOAD, lease_s=60, now=100.0)
    ledger.forget("new")
    ledger.forget("started")
    assert ledger.get("new") is None
    assert ledger.get("started")["state"] == "sending"


def test_stuck_messages_are_those_past_their_lease_or_long_overdue(ledger):
    for key in ("sending-old", "sending-new", "pending-overdue", "pending-due-soon", "done"):
        ledger.open(key, PAYLOAD, 100.0)
    ledger.claim("sending-old", PAYLOAD, lease_s=60, now=100.0)
    ledger.claim("sending-new", PAYLOAD, lease_s=60, now=190.0)
    ledger.claim("pending-due-soon", PAYLOAD, lease_s=60, now=100.0)
    ledger.retry("pending-due-soon", 1, "503", due_at=180.0, now=100.0)
    ledger.claim("done", PAYLOAD, lease_s=60, now=100.0)
    ledger.delivered("done", 1, 101.0)
    assert [row["key"] for row in ledger.stuck(lease_s=60, now=200.0)] == \
        ["pending-overdue", "sending-old"]


def test_releasing_puts_an_interrupted_message_back_to_pending_due_now(ledger):
    ledger.open("k", PAYLOAD, 100.0)
    ledger.claim("k", PAYLOAD, lease_s=60, now=100.0)
    assert ledger.release("k", "sending", 1, "interrupted", 300.0)
    assert ledger.release("k", "sending", 1, "interrupted", 301.0) is False  # once only
    row = ledger.get("k")
    assert (row["state"], row["due_at"], row["last_error"]) == ("pending", 300.0, "interrupted")


def reply(conversation: str, turn: int, index: int) -> tuple[str, dict]:
    """Return the key and payload of a reply as the runtime queues it."""
    return (f"{conversation}.{turn}.reply.{index}",
            {**PAYLOAD, "conversation": conversation, "place": [turn, index]})


def test_a_turn_s_replies_are_opened_together_and_known_keys_are_left_alone(ledger):
    ledger.open("c.1.reply.1", reply("c", 1, 1)[1], 100.0)
    opened = ledger.open_all([reply("c", 1, 1), reply("c", 1, 2), reply("c", 1, 3)], 101.0)
    assert opened == ["c.1.reply.2", "c.1.reply.3"]
    assert ledger.get("c.1.reply.1")["created_at"] == 100.0


def test_a_heartbeat_keeps_a_slow_send_from_being_taken_for_a_dead_one(ledger):
    ledger.open("k", PAYLOAD, 100.0)
    assert ledger.claim("k", PAYLOAD, lease_s=10, now=100.0) == 1
    ledger.beat([("k", 1)], 108.0)
    assert ledger.claim("k", PAYLOAD, lease_s=10, now=115.0) is None  # alive at 108
    assert [row["key"] for row in ledger.stuck(10, 115.0)] == []
    assert [row["key"] for row in ledger.stuck(10, 119.0)] == ["k"]  # no word since 108
    ledger.beat([("k", 7)], 118.0)  # another attempt's beat renews nothing
    assert ledger.get("k")["updated_at"] == 108.0


def test_a_claim_given_back_counts_no_attempt(ledger):
    ledger.open("k", PAYLOAD, 100.0)
    assert ledger.claim("k", PAYLOAD, lease_s=10, now=100.0) == 1
    assert ledger.unclaim("k", 1, due_at=105.0, now=101.0)
    row = ledger.get("k")
    assert (row["state"], row["attempts"], row["due_at"]) == ("pending", 0, 105.0)


def test_the_earlier_unsettled_replies_of_a_conversation_are_found_across_turns(ledger):
    ledger.open_all([reply("c", 1, 1), reply("c", 1, 2), reply("c", 2, 1), reply("d", 1, 1),
                     ("c.1.callback", PAYLOAD)], 100.0)
    assert sorted(row["key"] for row in ledger.earlier_unsettled("c", [2, 1])) == \
        ["c.1.reply.1", "c.1.reply.2"]
    ledger.claim("c.1.reply.1", {}, lease_s=10, now=101.0)
    ledger.delivered("c.1.reply.1", 1, 102.0)
    assert [row["key"] for row in ledger.earlier_unsettled("c", [2, 1])] == ["c.1.reply.2"]
    assert ledger.earlier_unsettled("c", [1, 1]) == []
    assert ledger.earlier_unsettled("d", [1, 1]) == []
