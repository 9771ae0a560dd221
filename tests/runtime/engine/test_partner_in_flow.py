"""An installed partner block runs inside a flow like a built-in: validated, templated, pinned."""

from __future__ import annotations

import json

import pytest

from runtime import simulate


def crm_flow(flow_doc, version: str, base_url: str) -> dict:
    return flow_doc("crm", {
        "lookup": {"type": f"acme.crm_lookup@{version}",
                   "config": {"base_url": base_url, "token": {"$secret": "ACME_CRM_TOKEN"}},
                   "exits": {"found": "greet", "not_found": "stranger"}},
        "greet": {"type": "end", "config": {"text": "Hello {{ vars.customer.name }}.", "disposition": "known"}},
        "stranger": {"type": "end", "config": {"text": "Hello stranger.", "disposition": "unknown"}}})


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_pinned_partner_block_looks_the_caller_up_over_real_http(
        version, make_workspace, flow_doc, http_service, allow_loopback, monkeypatch):
    monkeypatch.setenv("ACME_CRM_TOKEN", "acme-secret")
    http_service.reply("GET", "/customers", 200, {"name": "Ada Lovelace", "tier": "gold"})
    root = make_workspace(crm_flow(flow_doc, version, http_service.url))
    events: list[dict] = []
    result = simulate(root / "flows" / "crm.json", channel="voice", sender="+4930123456",
                      emit=events.append)
    assert result.disposition == "known"
    assert events[0]["text"] == "Hello Ada Lovelace."
    request = http_service.requests[0]
    assert request["path"] == "/customers?phone=%2B4930123456"
    assert request["headers"]["Authorization"] == "Bearer acme-secret"
    assert "acme-secret" not in json.dumps(events)


def test_an_unknown_caller_takes_the_partner_blocks_not_found_exit(
        make_workspace, flow_doc, http_service, allow_loopback, monkeypatch):
    monkeypatch.setenv("ACME_CRM_TOKEN", "acme-secret")
    http_service.reply("GET", "/customers", 404, {"error": "no such customer"})
    root = make_workspace(crm_flow(flow_doc, "2", http_service.url))
    result = simulate(root / "flows" / "crm.json", channel="voice", sender="+4930999",
                      emit=lambda event: None)
    assert result.disposition == "unknown"
