"""Fixtures of the builder's API tests."""

from __future__ import annotations

import copy

import pytest

REMINDER = {
    "schema": "callwright/flow@1", "id": "reminder", "start": "ask",
    "variables": {"order": "unknown"},
    "blocks": {
        "ask": {"type": "menu",
                "config": {"prompt": "Order {{ vars.order }} is ready. Collect today?",
                           "options": [{"key": "1", "label": "Yes", "exit": "yes"},
                                       {"key": "2", "label": "No", "exit": "no"}]},
                "exits": {"yes": "confirmed", "no": "declined"}},
        "confirmed": {"type": "end",
                      "config": {"text": "See you today.", "disposition": "confirmed"}},
        "declined": {"type": "end", "config": {"text": "We keep it for you.",
                                               "disposition": "declined"}},
    },
}


@pytest.fixture
def reminder_flow() -> dict:
    """Return the reminder flow: a menu (1 confirms, 2 declines) about `vars.order`."""
    return copy.deepcopy(REMINDER)
