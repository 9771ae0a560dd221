"""Flows that several test modules run, importable as `flows` (tests/support is on pythonpath)."""

from __future__ import annotations

# a messaging conversation: greets with what was written, then a menu (1 balance, 9 bye)
SUPPORT = {
    "schema": "callwright/flow@1", "id": "support", "start": "greet",
    "blocks": {
        "greet": {"type": "say", "config": {"text": "Hi, you wrote: {{ trigger.text }}"},
                  "exits": {"next": "menu"}},
        "menu": {"type": "menu",
                 "config": {"prompt": "Balance or bye?",
                            "options": [{"key": "1", "label": "Balance", "exit": "balance"},
                                        {"key": "9", "label": "Bye", "exit": "bye"}]},
                 "exits": {"balance": "balance", "bye": "bye"}},
        "balance": {"type": "say", "config": {"text": "Your balance is 42.00 EUR."},
                    "exits": {"next": "menu"}},
        "bye": {"type": "end", "config": {"text": "Bye."}},
    },
}
