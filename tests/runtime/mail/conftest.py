"""A workspace answering mail: its runtime, an SMTP receiver on a free port, a relay that keeps mail."""

from __future__ import annotations

import json
from typing import Callable

import pytest
from mail_relay import OURS, Relay

from runtime import Runtime
from runtime.mail import MailReceiver
from runtime.mail.server import MailServer

# a conversation by mail: the first mail is echoed and a menu offered; "1" gives the balance
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


def settings(relay: Relay, extra: str = "") -> str:
    """Return a callwright.toml answering mail through the relay, tasks on an SQLite queue."""
    return (f'[email]\nrelay = "{relay.address}"\nfrom = "Acme Support <{OURS}>"\n'
            f"max_attachment_bytes = 2048\n{extra}"
            f"[tasks]\nimmediate = false\nretries = 5\nretry_delay_s = 0.05\n")


@pytest.fixture
def relay() -> Relay:
    """Run a relay that keeps every mail, on a free port, for one test."""
    relay = Relay().start()
    yield relay
    relay.stop()


@pytest.fixture
def mail_runtime(make_workspace, relay) -> Callable[..., Runtime]:
    """Return open(extra_toml="", *flows, route="support", files=None) -> the runtime of a
    workspace routing OURS to a flow, with more files (path -> JSON document) in it."""
    opened: list[Runtime] = []

    def open_(extra: str = "", *flows: dict, route: str = "support",
              files: dict[str, dict] | None = None) -> Runtime:
        root = make_workspace(SUPPORT, *flows, routes={"schema": "callwright/routes@1",
                                                       "email": {OURS: route}},
                              toml=settings(relay, extra))
        for name, document in (files or {}).items():  # responses/…, bots/…
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(json.dumps(document), "utf-8")
        runtime = Runtime.open(root)
        opened.append(runtime)
        return runtime

    yield open_
    for runtime in opened:
        runtime.close()


@pytest.fixture
def receiver(mail_runtime) -> MailServer:
    """Run the SMTP receiver of a mail workspace on a free port of 127.0.0.1."""
    server = MailServer(MailReceiver(mail_runtime()), "127.0.0.1", 0).start()
    yield server
    server.stop()
