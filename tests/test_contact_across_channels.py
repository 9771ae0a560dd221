"""One customer across web chat, SMS and e-mail: one contact, one timeline with all of it.

A visitor chats, gives their phone number and e-mail address (the flow links them to the
contact with `set`), then writes an SMS from that phone and a mail from that address: both land
on the same contact, and its timeline (the API's) shows the three channels' messages.
"""

from __future__ import annotations

import json

from mail_relay import mail

from runtime.mail import MailReceiver
from runtime.messaging.signing import sign

SECRET = "webhook-secret-for-one-customer"
TOKEN = "one-customer-admin-token-0123456789"
PHONE, ADDRESS, SMS_LINE, SUPPORT = "+4915112345678", "ann@customer.test", "+4930999000", \
    "support@acme.test"
INTRODUCE = {
    "schema": "callwright/flow@1", "id": "introduce", "start": "phone",
    "variables": {"phone": "", "mail": ""},
    "blocks": {
        "phone": {"type": "ask", "config": {"prompt": "Your phone?", "variable": "vars.phone"},
                  "exits": {"next": "mail"}},
        "mail": {"type": "ask", "config": {"prompt": "Your e-mail?", "variable": "vars.mail"},
                 "exits": {"next": "link"}},
        "link": {"type": "set", "config": {"values": {"contact.phone": "{{ vars.phone }}",
                                                      "contact.email": "{{ vars.mail }}"}},
                 "exits": {"next": "bye"}},
        "bye": {"type": "end", "config": {"text": "Thanks, we will remember you."}},
    },
}
GREET = {
    "schema": "callwright/flow@1", "id": "greet", "start": "hello",
    "blocks": {"hello": {"type": "say", "config": {
                   "text": "Hello again, we last spoke on {{ contact.last_channel }}."},
                         "exits": {"next": "bye"}},
               "bye": {"type": "end", "config": {}}},
}
ROUTES = {"schema": "callwright/routes@1", "chat": {"web": "introduce"},
          "sms": {SMS_LINE: "greet"}, "email": {SUPPORT: "greet"}}
SETTINGS = f"""
[webhooks]
secret = "{SECRET}"
[api]
tokens = ["{TOKEN}"]
[sms]
gateway = "http://127.0.0.1:9/sms"
default_region = "DE"
[email]
relay = "127.0.0.1:9"
from = "Acme <{SUPPORT}>"
[tasks]
immediate = false
"""


def test_chat_sms_and_mail_of_one_customer_are_one_contact_with_one_timeline(workspace_app):
    app = workspace_app(INTRODUCE, GREET, routes=ROUTES, toml=SETTINGS)
    runtime = app.extensions["callwright.runtime"]
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"

    chat = runtime.chat_turn("introduce", None, "hi")
    runtime.chat_turn("introduce", chat["session"], "0151 12345678")
    runtime.chat_turn("introduce", chat["session"], "Ann@Customer.test")
    contact = runtime.sessions.get(chat["session"]).contact["id"]

    raw = json.dumps({"id": "SM1", "from": PHONE, "to": SMS_LINE, "text": "me again"}).encode()
    sms = client.post("/api/v1/channels/sms", data=raw, content_type="application/json",
                      headers={"X-Callwright-Signature": sign(SECRET, raw)})
    assert sms.status_code == 200, sms.get_json()
    assert sms.get_json()["replies"][0]["text"] == "Hello again, we last spoke on chat."

    outcome = MailReceiver(runtime).receive(
        ADDRESS, [SUPPORT], bytes(mail("And by mail.", sender=ADDRESS)))
    assert outcome.status == "answered"
    for session in (sms.get_json()["session"], outcome.session):
        assert runtime.sessions.get(session).contact["id"] == contact

    runtime.contacts.flush()
    found = client.get(f"/api/v1/contacts?identity=email:{ADDRESS}").get_json()
    assert [c["contact"] for c in found["contacts"]] == [contact]
    timeline = client.get(f"/api/v1/contacts/{contact}/timeline?limit=100").get_json()
    said = {(e["channel"], e["direction"], e["text"]) for e in timeline["entries"]
            if e["kind"] == "message"}
    assert ("chat", "in", "Ann@Customer.test") in said
    assert ("sms", "in", "me again") in said
    assert ("sms", "out", "Hello again, we last spoke on chat.") in said
    assert ("email", "in", "And by mail.") in said
    assert ("email", "out", "Hello again, we last spoke on sms.") in said
