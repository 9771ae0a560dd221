"""What a received mail gives a flow: its new text, its attachments, never markup; what goes back."""

from __future__ import annotations

import logging
from pathlib import Path

from mail_relay import CUSTOMER, OURS, mail, send

from runtime.mail import MailReceiver
from runtime.mail.server import MailServer


def conversation(runtime):
    """Return the session the customer's mail started."""
    found = runtime.sessions.open_session("email", CUSTOMER, "support")
    assert found, "the mail started no conversation"
    return runtime.sessions.get(found)


def test_attachments_are_kept_on_disk_and_one_over_the_limit_is_left_out(receiver, relay, drain):
    runtime = receiver.receiver.runtime
    message = mail("Here are my statements.")
    message.add_attachment(b"%PDF small", maintype="application", subtype="pdf",
                           filename="../../statement.pdf")
    message.add_attachment(b"x" * 3000, maintype="image", subtype="png", filename="scan.png")
    send(receiver.port, message)
    drain(runtime.queue, lambda: len(relay.mails) == 1)  # the mail is still answered
    small, large = conversation(runtime).trigger["attachments"]
    assert (small["name"], small["bytes"], small["kept"]) == ("../../statement.pdf", 10, True)
    kept = Path(small["path"])
    assert kept.read_bytes() == b"%PDF small"
    # kept under the workspace's .callwright/mail/, whatever the name said
    assert kept.parent.parent == runtime.workspace.root / ".callwright" / "mail"
    assert kept.name == "1-statement.pdf"
    assert (large["name"], large["kept"]) == ("scan.png", False)
    assert large["reason"] == "larger than 2048 bytes" and "path" not in large


def test_an_html_mail_reaches_the_flow_as_text_and_its_script_nowhere(receiver, relay, drain):
    runtime = receiver.receiver.runtime
    message = mail()
    message.set_content("<html><head><style>p{color:red}</style><script>alert('x')</script>"
                        "</head><body><p>Lost my <b>card</b> &amp; PIN</p>"
                        "<img src=x onerror=alert(1)><script>steal()</script></body></html>",
                        subtype="html")
    send(receiver.port, message)
    [answer] = drain(runtime.queue, lambda: len(relay.mails) == 1) or relay.mails
    assert conversation(runtime).trigger["text"] == "Lost my card & PIN"
    everything = answer.as_string()
    assert "<script" not in everything and "alert" not in everything and "steal" not in everything
    html = answer.get_body(preferencelist=("html",)).get_content()
    assert "Hi, you wrote: Lost my card &amp; PIN" in html


def test_html_a_customer_writes_as_text_comes_back_escaped(receiver, relay, drain):
    runtime = receiver.receiver.runtime
    send(receiver.port, mail("<script>alert(1)</script> is what I typed"))
    [answer] = drain(runtime.queue, lambda: len(relay.mails) == 1) or relay.mails
    html = answer.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


MALFORMED = (b"From: Ann <ann@customer.test>\r\nTo: support@acme.test\r\n"
             b"Subject: =?utf-8?b?broken?=\r\nMessage-ID: <m1@customer.test>\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
             b"--b1\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gdGhlcmU!!!not base64\r\n"
             b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64"
             b"\r\nContent-Disposition: attachment; filename=\"x.bin\"\r\n\r\n@@@@\r\n")


def test_malformed_mime_is_logged_and_the_mail_still_answered(receiver, relay, drain, caplog):
    runtime = receiver.receiver.runtime
    with caplog.at_level(logging.WARNING, logger="runtime.mail"):
        send(receiver.port, MALFORMED)
        drain(runtime.queue, lambda: len(relay.mails) == 1)
    [warning] = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert "<m1@customer.test>" in warning
    assert conversation(runtime).trigger["text"].startswith("Hello there")


def test_bytes_that_are_no_mail_at_all_cause_no_crash(receiver, relay, drain):
    send(receiver.port, b"\x00\xff\xfe garbage with no headers \r\n\r\n\x80\x81")
    drain(receiver.receiver.runtime.queue, lambda: len(relay.mails) == 1)
    assert relay.mails[0]["To"] == CUSTOMER  # the envelope sender is who is answered


ACK = {
    "schema": "callwright/flow@1", "id": "ack", "start": "thanks",
    "blocks": {"thanks": {"type": "say", "config": {"response": "mail/ack"},
                          "exits": {"next": "done"}},
               "done": {"type": "end", "config": {"disposition": "acknowledged"}}},
}
RESPONSES = {
    "schema": "callwright/responses@1", "id": "mail",
    "responses": {"ack": {
        "text": "Thanks.",
        "variants": [{"channel": "email", "subject": "We have your message",
                      "text": "Thanks, {{ trigger.text }}. We answer by {{ eta }}.",
                      "html": "<p onclick=\"x()\">Thanks, <em>{{ trigger.text }}</em>.</p>"
                              "<p>We answer by <strong>{{ eta }}</strong>.</p>"
                              "<a href=\"javascript:evil()\">x</a><a href=\"https://acme.test/\">"
                              "help</a>"}]}},
}


def test_a_named_response_is_rendered_for_email_with_its_html_made_safe(mail_runtime, relay,
                                                                         drain):
    runtime = mail_runtime('[service_levels]\nemail = "4h"\n', ACK, route="ack",
                           files={"responses/mail.json": RESPONSES})
    with MailServer(MailReceiver(runtime), "127.0.0.1", 0) as server:
        send(server.port, mail("<img src=x onerror=alert(1)>", subject=""))
        drain(runtime.queue, lambda: len(relay.mails) == 1)
    [answer] = relay.mails
    assert answer["Subject"] == "We have your message"  # theirs was empty: the response's
    text = answer.get_body(preferencelist=("plain",)).get_content()
    assert "We answer by " in text and "{{" not in text
    html = answer.get_body(preferencelist=("html",)).get_content()
    assert "onclick" not in html and "javascript:" not in html and "<img" not in html
    assert "<em>&lt;img src=x onerror=alert(1)&gt;</em>" in html
    assert '<a href="https://acme.test/">help</a>' in html


def test_a_mail_is_on_its_senders_contact_timeline_as_text_only(receiver, relay, drain):
    runtime = receiver.receiver.runtime
    message = mail()
    message.set_content("<p>Lost my <b>card</b></p><script>steal()</script>", subtype="html")
    send(receiver.port, message)
    drain(runtime.queue, lambda: len(relay.mails) == 1)
    runtime.contacts.flush()  # timeline entries are written behind the turn
    contact = runtime.contacts.store.find("email", CUSTOMER.lower())
    assert contact is not None and conversation(runtime).contact["id"] == contact
    texts = [e["text"] for e in runtime.contacts.store.timeline(contact) if e["kind"] == "message"]
    assert "Lost my card" in texts
    assert not any("<" in text or "steal" in text for text in texts)
