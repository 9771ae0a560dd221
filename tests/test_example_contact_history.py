"""The example workspace remembers a customer across channels: a call, then an SMS.

A customer calls card services about a lost card and has it blocked; when they then write an
SMS from the same number (written the local way), the support bot greets them with that call's
outcome, read from `contact.history`.
"""

from __future__ import annotations

import json

from builder.app import create_app
from runtime import run_sync
from runtime.messaging.signing import sign
from runtime.ports import Clock, run_call
from runtime.ports.emulator import CallerMix, CallerScript, EmulatorBoard

SECRET = "webhook-secret-for-the-example"
CUSTOMER = "+4915112345678"
OURS = "+4930999000"


def call_card_services(runtime, caller: str) -> object:
    """Call card services from a number, type the PIN, and return the ended session."""
    script = CallerScript(actions=({"digits": "4321", "gap_s": 0.1},))
    board = EmulatorBoard(1, 1, clock=Clock(40), callers=CallerMix((script,)))
    port = board.ports[0]

    async def call():
        board.offer(port, caller=caller, called="cards")
        await port.answer()
        return await run_call(runtime, "card-services", port)
    return run_sync(call())


def test_a_customer_who_called_about_a_lost_card_is_greeted_with_it_by_sms(example_workspace,
                                                                           gateway):
    with (example_workspace / "callwright.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'\n[sms]\ngateway = "{gateway.url}"\ndefault_region = "DE"\n'
                       f'[webhooks]\nsecret = "{SECRET}"\n[tasks]\nimmediate = true\n'
                       f'[http]\nallow = ["127.0.0.0/8"]\n')
    app = create_app(example_workspace, {"TESTING": True})
    runtime = app.extensions["callwright.runtime"]
    try:
        call = call_card_services(runtime, CUSTOMER)
        assert call.disposition == "card_blocked"

        raw = json.dumps({"id": "SM1", "from": "0151 12345678", "to": OURS,
                          "text": "hi, any news?"}).encode()
        answer = app.test_client().post("/api/v1/channels/sms", data=raw,
                                        content_type="application/json",
                                        headers={"X-Callwright-Signature": sign(SECRET, raw)})
        assert answer.status_code == 200, answer.get_json()
        texts = [json.loads(r["body"])["text"] for r in gateway.requests]
        assert texts[0].startswith("Hello again! When you called us on 20")
        assert "we blocked your lost card, and a new card is on its way" in texts[0]

        # one customer: the call and the SMS are on one contact's timeline
        sms = runtime.sessions.get(answer.get_json()["session"])
        assert sms.contact["id"] == call.contact["id"] is not None
        runtime.contacts.flush()  # timeline entries are written behind the turn
        timeline = runtime.contacts.store.timeline(sms.contact["id"])
        assert {e["channel"] for e in timeline} == {"voice", "sms"}
        # what the caller typed was their PIN: the timeline says keys were pressed, not which
        heard = [e["text"] for e in timeline if e["direction"] == "in"]
        assert heard == ["hi, any news?", "(keys pressed)"]
    finally:
        runtime.close()


def test_a_customer_who_never_called_gets_the_usual_first_answer(example_workspace, gateway):
    with (example_workspace / "callwright.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'\n[sms]\ngateway = "{gateway.url}"\ndefault_region = "DE"\n'
                       f'[webhooks]\nsecret = "{SECRET}"\n[tasks]\nimmediate = true\n'
                       f'[http]\nallow = ["127.0.0.0/8"]\n')
    app = create_app(example_workspace, {"TESTING": True})
    runtime = app.extensions["callwright.runtime"]
    try:
        raw = json.dumps({"id": "SM1", "from": CUSTOMER, "to": OURS, "text": "hi"}).encode()
        answer = app.test_client().post("/api/v1/channels/sms", data=raw,
                                        content_type="application/json",
                                        headers={"X-Callwright-Signature": sign(SECRET, raw)})
        assert answer.status_code == 200, answer.get_json()
        texts = [json.loads(r["body"])["text"] for r in gateway.requests]
        assert texts[0] == "Hi, I am the Acme support bot."
    finally:
        runtime.close()
