"""GET /api/v1/voice and /metrics: the voice node's live figures, as JSON and for Prometheus."""

from __future__ import annotations

import json
import time

import pytest
from jsonschema import Draft202012Validator

from builder.openapi import document
from runtime.ports.figures import figures_path, write_figures

SNAPSHOT = {
    "backends": {"sip": {"address": "udp:127.0.0.1:5060", "ports": 100, "busy": 3,
                         "peak_busy": 7, "offered": 12, "rejected": 1, "mean_busy": 2.5,
                         "occupancy": 0.025, "seconds": 60.0}},
    "calls": {"offered": {"keys": 11, "": 1}, "answered": {"keys": 9}, "blocked": {"keys": 1},
              "abandoned": {"keys": 1}, "failed": {}, "unrouted": 1,
              "completed": [{"flow": "keys", "disposition": "sales", "calls": 5},
                            {"flow": "keys", "disposition": "caller_hangup", "calls": 1}]},
}


@pytest.fixture
def app(workspace_app, reminder_flow):
    """Return an app over a workspace with the reminder flow."""
    return workspace_app(reminder_flow)


def root_of(app):
    from builder.api import RUNTIME_EXTENSION
    return app.extensions[RUNTIME_EXTENSION].workspace.root


def test_the_figures_are_what_the_voice_node_last_wrote(app):
    write_figures(root_of(app), SNAPSHOT)
    response = app.test_client().get("/api/v1/voice")
    assert response.status_code == 200
    body = response.get_json()
    assert body["live"] is True
    assert body["backends"] == SNAPSHOT["backends"] and body["calls"] == SNAPSHOT["calls"]
    schema = {**document()["components"]["schemas"]["VoiceFigures"],
              "$defs": document()["components"]["schemas"]}
    assert not list(Draft202012Validator(schema).iter_errors(body))


def test_without_a_node_the_figures_say_so(app):
    body = app.test_client().get("/api/v1/voice").get_json()
    assert body == {"live": False, "backends": {}, "calls": None, "updated_at": None}


def test_figures_a_node_stopped_writing_are_not_live(app):
    write_figures(root_of(app), SNAPSHOT)
    path = figures_path(root_of(app))
    old = json.loads(path.read_text())
    path.write_text(json.dumps({**old, "updated_at": time.time() - 60}))
    assert app.test_client().get("/api/v1/voice").get_json()["live"] is False


def test_metrics_carry_the_same_figures_for_prometheus(app):
    write_figures(root_of(app), SNAPSHOT)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    lines = set(response.data.decode().splitlines())
    for line in ('callwright_voice_node_up 1.0', 'callwright_ports{backend="sip"} 100.0',
                 'callwright_ports_busy{backend="sip"} 3.0',
                 'callwright_calls_offered_total{flow="keys"} 11.0',
                 'callwright_calls_offered_total{flow=""} 1.0',
                 'callwright_calls_blocked_total{flow="keys"} 1.0',
                 'callwright_calls_abandoned_total{flow="keys"} 1.0',
                 'callwright_calls_unrouted_total 1.0',
                 'callwright_calls_completed_total{disposition="sales",flow="keys"} 5.0'):
        assert line in lines, line


def test_metrics_without_a_node_say_it_is_down(app):
    text = app.test_client().get("/metrics").data.decode()
    assert "callwright_voice_node_up 0.0" in text.splitlines()


def test_signing_in_is_needed_once_there_are_users(auth_app):
    app = auth_app("ann:viewer")
    client = app.test_client()
    assert client.get("/api/v1/voice").status_code == 401
    assert client.get("/metrics").status_code == 401
