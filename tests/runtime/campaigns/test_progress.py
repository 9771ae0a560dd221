"""Campaigns: a contact list started a few at a time, inside a time window, once per contact."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from runtime import Runtime, campaigns
from runtime.campaigns import progress
from runtime.errors import FlowNotFound
from runtime.engine.threadloop import thread_loop
from runtime.tasks.campaign_runs import POLL_S, next_delay

ASK = {"ask": {"type": "menu",
               "config": {"prompt": "Hello {{ vars.name }}, still interested?",
                          "options": [{"key": "1", "label": "Yes", "exit": "yes"},
                                      {"key": "2", "label": "No", "exit": "no"}]},
               "exits": {"yes": "keen", "no": "gone"}},
       "keen": {"type": "end", "config": {"text": "Great.", "disposition": "interested"}},
       "gone": {"type": "end", "config": {"text": "Bye.", "disposition": "declined"}}}
NOTICE = {"tell": {"type": "say", "config": {"text": "Your parcel ships today."},
                   "exits": {"next": "done"}},
          "done": {"type": "end", "config": {}}}
NOON_UTC = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)  # a Monday
BERLIN = {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00",
          "days": ["mon", "tue", "wed", "thu", "fri"]}


class CountingRuntime(Runtime):
    """A runtime that counts starts per contact and refuses to start the contact `broken`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.starts: Counter = Counter()
        self._starts_lock = threading.Lock()

    def start_execution(self, flow_id: str, channel: str, to: str, **kwargs) -> dict:
        """Count the start, then start as the runtime does (or fail for `broken`)."""
        with self._starts_lock:
            self.starts[to] += 1
        if to == "broken":
            raise RuntimeError("the gateway refused the number")
        return super().start_execution(flow_id, channel, to, **kwargs)


@pytest.fixture
def runtime(make_workspace, flow_doc):
    """Yield a runtime over a workspace with an asking flow and a one-message flow."""
    root = make_workspace(flow_doc("survey", ASK), flow_doc("notice", NOTICE))
    opened = CountingRuntime.open(root, sessions_url="memory:")
    yield opened
    opened.close()


def make(runtime, contacts, *, flow: str = "survey", concurrency: int = 2,
         window: dict | None = None) -> str:
    """Store a chat campaign for the given contact addresses."""
    return campaigns.create(campaigns.engine_of(runtime), flow, "chat",
                            [{"to": to, "vars": {"name": to}} for to in contacts],
                            concurrency=concurrency, window=window)


def state(runtime, campaign_id: str) -> dict:
    """Return the campaign's status."""
    return campaigns.status(campaigns.engine_of(runtime), campaign_id)


def answer(runtime, campaign_id: str, to: str, text: str) -> dict:
    """Let a contact answer their conversation."""
    [contact] = [c for c in state(runtime, campaign_id)["contacts"] if c["to"] == to]
    return runtime.chat_turn("survey", contact["execution"], text)


def close_thread_loop(runtime) -> None:
    """Close this thread's HTTP client and event loop before the thread ends."""
    loop = thread_loop()
    for client, owner in [pair for pair in runtime._clients if pair[1] is loop]:
        loop.run_until_complete(client.aclose())
        runtime._clients.remove((client, owner))
    loop.close()


# --- the window ---------------------------------------------------------------------------------

@pytest.mark.parametrize("moment, expected", [
    (datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc), True),    # Mon 09:30 in Berlin
    (datetime(2026, 11, 23, 7, 59, tzinfo=timezone.utc), False),   # Mon 08:59 in Berlin
    (datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc), False),   # Mon 17:00: the end is out
    (datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc), False),   # a Sunday
    (datetime(2026, 7, 6, 7, 30, tzinfo=timezone.utc), True),      # summer time: 09:30 local
    (datetime(2026, 7, 6, 15, 30, tzinfo=timezone.utc), False),    # summer time: 17:30 local
])
def test_a_window_is_read_in_its_own_time_zone(moment, expected):
    assert campaigns.inside(BERLIN, moment) is expected


def test_the_same_moment_is_inside_one_zones_window_and_outside_anothers():
    moment = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
    new_york = {**BERLIN, "timezone": "America/New_York"}
    assert campaigns.inside(new_york, moment) is True       # 10:00 in New York
    assert campaigns.inside(BERLIN, moment) is True         # 16:00 in Berlin
    tokyo = {**BERLIN, "timezone": "Asia/Tokyo"}
    assert campaigns.inside(tokyo, moment) is False         # 00:00 Tuesday in Tokyo


def test_a_window_over_midnight_belongs_to_the_day_it_opens():
    night = {"timezone": "UTC", "start": "22:00", "end": "02:00", "days": ["fri"]}
    assert campaigns.inside(night, datetime(2026, 11, 27, 23, 0, tzinfo=timezone.utc))  # Fri
    assert campaigns.inside(night, datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc))   # Sat early
    assert not campaigns.inside(night, datetime(2026, 11, 28, 23, 0, tzinfo=timezone.utc))
    assert not campaigns.inside(night, datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc))


def test_no_window_is_always_open():
    assert campaigns.inside(None, datetime(2026, 1, 1, 3, 0, tzinfo=timezone.utc))


def test_the_next_opening_skips_closed_days_in_the_windows_zone():
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=timezone.utc)
    opening = campaigns.next_opening(BERLIN, friday_evening)
    assert opening == datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert opening.astimezone(timezone.utc) == datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    early = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
    assert campaigns.next_opening(BERLIN, early).hour == 9
    assert campaigns.next_opening(BERLIN, early).day == 23


@pytest.mark.parametrize("window, pointers", [
    ([], ["/window"]),
    ({}, ["/window/timezone", "/window/start", "/window/end"]),
    ({"timezone": "Mars/Olympus", "start": "09:00", "end": "17:00"}, ["/window/timezone"]),
    ({"timezone": "UTC", "start": "9:00", "end": "24:00"}, ["/window/start", "/window/end"]),
    ({"timezone": "UTC", "start": "09:00", "end": "09:00"}, ["/window/end"]),
    ({"timezone": "UTC", "start": "09:00", "end": "17:00", "days": ["monday"]}, ["/window/days"]),
    ({"timezone": "UTC", "start": "09:00", "end": "17:00", "days": []}, ["/window/days"]),
    ({"timezone": "UTC", "start": "09:00", "end": "17:00", "every": 1}, ["/window/every"]),
])
def test_a_bad_window_is_refused_naming_the_field(window, pointers):
    assert [p for p, _ in campaigns.window_problems(window)] == pointers


def test_a_good_window_has_no_problems():
    assert campaigns.window_problems(BERLIN) == []


# --- advancing --------------------------------------------------------------------------------

def test_only_concurrency_contacts_start_until_their_sessions_end(runtime):
    campaign = make(runtime, ["a", "b", "c", "d", "e"], concurrency=2)
    assert campaigns.advance(runtime, campaign, NOON_UTC)["started"] == 2
    assert campaigns.advance(runtime, campaign, NOON_UTC)["started"] == 0
    assert state(runtime, campaign)["counts"] == {"pending": 3, "started": 2, "done": 0,
                                                  "failed": 0}
    assert set(runtime.starts) == {"a", "b"}
    answer(runtime, campaign, "a", "1")
    result = campaigns.advance(runtime, campaign, NOON_UTC)
    assert (result["started"], result["status"]) == (1, "running")
    assert set(runtime.starts) == {"a", "b", "c"}


def test_every_contact_gets_its_result_and_the_campaign_finishes(runtime):
    campaign = make(runtime, ["a", "b", "c"], concurrency=3)
    campaigns.advance(runtime, campaign, NOON_UTC)
    answer(runtime, campaign, "a", "1")
    answer(runtime, campaign, "b", "2")
    assert campaigns.advance(runtime, campaign, NOON_UTC)["status"] == "running"  # c still talks
    answer(runtime, campaign, "c", "Yes")
    assert campaigns.advance(runtime, campaign, NOON_UTC)["status"] == "done"
    status = state(runtime, campaign)
    assert status["status"] == "done" and status["flow"] == "survey"
    assert [(c["to"], c["state"], c["disposition"]) for c in status["contacts"]] == [
        ("a", "done", "interested"), ("b", "done", "declined"), ("c", "done", "interested")]
    assert all(c["execution"] for c in status["contacts"])
    assert Counter(runtime.starts) == {"a": 1, "b": 1, "c": 1}


def test_each_contact_runs_with_its_own_variables(runtime):
    campaign = make(runtime, ["Ada", "Bob"], concurrency=2)
    campaigns.advance(runtime, campaign, NOON_UTC)
    for contact in state(runtime, campaign)["contacts"]:
        session = runtime.sessions.get(contact["execution"])
        assert session.vars["name"] == contact["to"]
        assert session.contact["from"] == contact["to"]


def test_a_conversation_that_ends_at_once_is_done_at_once(runtime):
    campaign = make(runtime, ["a", "b"], flow="notice", concurrency=1)
    assert campaigns.advance(runtime, campaign, NOON_UTC)["status"] == "running"
    assert campaigns.advance(runtime, campaign, NOON_UTC)["status"] == "done"
    assert [c["disposition"] for c in state(runtime, campaign)["contacts"]] == ["completed"] * 2


def test_a_failing_contact_is_marked_failed_and_the_rest_go_on(runtime):
    campaign = make(runtime, ["a", "broken", "c"], flow="notice", concurrency=3)
    assert campaigns.advance(runtime, campaign, NOON_UTC)["status"] == "done"
    contacts = state(runtime, campaign)["contacts"]
    assert [(c["to"], c["state"]) for c in contacts] == [("a", "done"), ("broken", "failed"),
                                                         ("c", "done")]
    assert "the gateway refused the number" in contacts[1]["error"]
    assert contacts[1]["execution"] is None
    assert state(runtime, campaign)["counts"]["failed"] == 1


def test_an_sms_contact_who_opted_out_is_skipped_with_the_reason_and_the_rest_go_on(
        make_workspace, flow_doc, gateway):
    toml = (f'[sms]\ngateway = "{gateway.url}"\ndefault_region = "DE"\n'
            f'[webhooks]\nsecret = "s3cret-for-tests"\n[tasks]\nimmediate = true\n'
            f'[http]\nallow = ["127.0.0.0/8"]\n')
    root = make_workspace(flow_doc("notice", NOTICE), toml=toml)
    opened = Runtime.open(root, sessions_url="memory:")
    try:
        opened.optouts.opt_out("sms", "+4915112345678", "STOP")
        campaign_id = campaigns.create(campaigns.engine_of(opened), "notice", "sms",
                                       [{"to": "0151 12345678"}, {"to": "+4915199999999"}],
                                       concurrency=2)
        progress.advance(opened, campaign_id, NOON_UTC)
        skipped, reached = state(opened, campaign_id)["contacts"]
        assert (skipped["state"], skipped["disposition"], skipped["execution"]) == (
            "done", "opted_out", None)
        assert "sent STOP on sms" in skipped["error"]
        assert (reached["state"], reached["disposition"]) == ("done", "completed")
        assert [json.loads(r["body"])["to"] for r in gateway.requests] == ["+4915199999999"]
    finally:
        opened.close()


def test_outside_the_window_nothing_starts_and_the_next_opening_is_told(runtime):
    campaign = make(runtime, ["a", "b"], window=BERLIN)
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    result = campaigns.advance(runtime, campaign, sunday)
    assert (result["inside"], result["started"], result["status"]) == (False, 0, "running")
    assert result["next_at"] == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert runtime.starts == {}
    assert campaigns.advance(runtime, campaign, NOON_UTC)["started"] == 2


def test_a_claimed_contact_is_not_claimed_again(runtime):
    campaign = make(runtime, ["a", "b"], concurrency=2)
    engine = campaigns.engine_of(runtime)
    assert progress._claim(engine, campaign, 0, 2) is True
    assert progress._claim(engine, campaign, 0, 2) is False
    assert progress._claim(engine, campaign, 1, 1) is False  # one is in flight: no room
    campaigns.advance(runtime, campaign, NOON_UTC)
    assert runtime.starts == {"b": 1}  # a is in hand elsewhere; it is not started here


def test_a_claim_whose_worker_died_before_the_start_fails_after_the_lease(runtime):
    campaign = make(runtime, ["a", "b"], concurrency=1)
    engine = campaigns.engine_of(runtime)
    assert progress._claim(engine, campaign, 0, 1)
    assert campaigns.advance(runtime, campaign, NOON_UTC)["started"] == 0  # a holds the place
    stale = time.time() - progress.CLAIM_LEASE_S - 1
    with engine.begin() as conn:
        conn.execute(update(progress.contacts_table).values(updated_at=stale))
    assert campaigns.advance(runtime, campaign, NOON_UTC)["started"] == 1
    contacts = state(runtime, campaign)["contacts"]
    assert (contacts[0]["state"], contacts[1]["state"]) == ("failed", "started")
    assert "interrupted" in contacts[0]["error"]
    assert runtime.starts == {"b": 1}


def test_advances_running_at_once_start_every_contact_once(runtime):
    campaign = make(runtime, [f"c{i}" for i in range(12)], flow="notice", concurrency=4)
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait(5)
        try:
            for _ in range(6):
                campaigns.advance(runtime, campaign, NOON_UTC)
        finally:
            close_thread_loop(runtime)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    while campaigns.advance(runtime, campaign, NOON_UTC)["status"] == "running":
        pass
    assert runtime.starts == {f"c{i}": 1 for i in range(12)}
    assert state(runtime, campaign)["counts"]["done"] == 12


def test_a_cancelled_campaign_starts_no_one_else(runtime):
    campaign = make(runtime, ["a", "b", "c"], concurrency=1)
    campaigns.advance(runtime, campaign, NOON_UTC)
    assert campaigns.cancel(campaigns.engine_of(runtime), campaign)["status"] == "cancelled"
    answer(runtime, campaign, "a", "1")
    result = campaigns.advance(runtime, campaign, NOON_UTC)
    assert (result["status"], result["started"]) == ("cancelled", 0)
    assert set(runtime.starts) == {"a"}
    assert state(runtime, campaign)["counts"]["pending"] == 2


def test_cancelling_a_finished_campaign_changes_nothing(runtime):
    campaign = make(runtime, ["a"], flow="notice", concurrency=1)
    campaigns.advance(runtime, campaign, NOON_UTC)
    assert campaigns.cancel(campaigns.engine_of(runtime), campaign)["status"] == "done"


def test_an_unknown_campaign_is_not_found(runtime):
    with pytest.raises(campaigns.CampaignNotFound):
        campaigns.status(campaigns.engine_of(runtime), "nope")
    with pytest.raises(campaigns.CampaignNotFound):
        campaigns.advance(runtime, "nope", NOON_UTC)


def test_launch_refuses_unknown_flows_and_stores_nothing(runtime):
    with pytest.raises(FlowNotFound):
        campaigns.launch(runtime, "nope", "chat", [{"to": "a"}], concurrency=1)
    engine = campaigns.engine_of(runtime)
    with engine.connect() as conn:
        assert conn.execute(progress.campaigns_table.select()).all() == []


# --- when the task comes back ---------------------------------------------------------------

def test_the_task_comes_back_soon_inside_the_window_and_at_the_opening_outside():
    opening = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    assert next_delay({"status": "running", "inside": True, "next_at": None}, sunday) == POLL_S
    outside = {"status": "running", "inside": False, "next_at": opening}
    assert next_delay(outside, sunday) == 20 * 3600.0  # Sun 12:00 UTC to Mon 08:00 UTC
    for status in ("done", "cancelled"):
        assert next_delay({"status": status, "inside": True, "next_at": None}, sunday) is None
