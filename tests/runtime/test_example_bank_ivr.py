"""The example bank IVR: hours, menu, account entry, CRM look-up over real HTTP, branch, transfer."""

from __future__ import annotations

import socket

import pytest

from runtime import simulate

OPEN = "2026-11-23T10:00:00+01:00"  # a Monday morning in Berlin


@pytest.fixture
def bank(example_workspace, allow_loopback):
    """Return a function that calls the bank IVR and returns (events, result)."""
    def call(*inputs: str, now: str = OPEN, crm_url: str | None = None):
        from datetime import datetime
        events: list[dict] = []
        result = simulate(example_workspace / "flows" / "bank-ivr.json", channel="voice",
                          inputs=inputs, now=datetime.fromisoformat(now), emit=events.append,
                          vars={"crm_url": crm_url} if crm_url else None)
        return events, result
    return call


def said(events):
    return [e["text"] for e in events if e["event"] == "say"]


def test_a_caller_hears_their_balance_from_the_crm(bank, http_service):
    http_service.reply("GET", "/accounts/12345678", 200, {"balance": 1250.5})
    events, result = bank("1", "12345678#", crm_url=http_service.url)
    assert said(events)[-2:] == ["Your balance is 1250.5 euros.",
                                 "Thank you for calling Acme Bank. Goodbye."]
    assert result.disposition == "completed"
    assert http_service.requests[0]["path"] == "/accounts/12345678"


def test_an_overdrawn_account_goes_to_an_adviser(bank, http_service):
    http_service.reply("GET", "/accounts/87654321", 200, {"balance": -20})
    events, result = bank("1", "87654321", crm_url=http_service.url)
    assert "overdrawn" in said(events)[-1]
    assert events[-2] == {"event": "transfer", "block": "to_agent", "target": {"queue": "support"}}
    assert result.disposition == "transferred"


def test_an_unknown_account_is_asked_again(bank, http_service):
    http_service.reply("GET", "/accounts/11112222", 200, {"balance": 5})
    events, result = bank("1", "99998888", "11112222", crm_url=http_service.url)
    assert "We could not find account 99998888." in said(events)
    assert said(events)[-2] == "Your balance is 5 euros."


def test_a_crm_that_is_down_sends_the_caller_to_an_agent(bank):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    events, result = bank("1", "12345678", crm_url=f"http://127.0.0.1:{closed_port}")
    assert any(e["event"] == "error" and e["block"] == "lookup" for e in events)
    assert "not answering" in said(events)[-1]
    assert result.disposition == "transferred"


def test_a_slow_crm_times_out_within_the_blocks_timeout(bank, http_service):
    http_service.reply("GET", "/accounts/12345678", 200, {"balance": 1}, delay=6)
    events, result = bank("1", "12345678", crm_url=http_service.url)
    assert "not answering" in said(events)[-1]
    assert result.disposition == "transferred"


def test_a_wrong_length_account_number_is_refused_then_the_caller_goes_to_an_agent(bank):
    events, result = bank("1", "123", "", "4567")
    assert said(events).count("An account number has 8 digits.") == 2
    assert "I did not hear any digits." in said(events)
    assert result.disposition == "transferred"


def test_silence_at_the_main_menu_ends_the_call_after_three_attempts(bank):
    events, result = bank()
    assert said(events).count("Sorry, I did not get that.") == 3
    assert result.disposition == "completed"


def test_outside_business_hours_the_caller_hears_the_opening_times(bank):
    events, result = bank(now="2026-11-22T15:00:00+01:00")  # Sunday
    assert "open weekdays" in events[0]["text"] and result.disposition == "closed"


def test_on_a_holiday_the_caller_hears_the_holiday_message(bank):
    events, result = bank(now="2026-12-25T10:00:00+01:00")
    assert "holiday" in events[0]["text"] and result.disposition == "closed"
