"""Mail in by SMTP over TCP, the flow's answer out through a real relay, threaded."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import pytest
from mail_relay import CUSTOMER, OURS, Relay, mail, send

from runtime.mail import MailReceiver, read_mail
from runtime.mail.reply import reply_key
from runtime.mail.server import MailServer


def answered(runtime, relay: Relay, drain, count: int = 1) -> list[EmailMessage]:
    """Work the runtime's queue until the relay holds `count` mails; return them."""
    drain(runtime.queue, lambda: len(relay.mails) >= count)
    return relay.mails


def idle(runtime, drain) -> None:
    """Work the runtime's queue until nothing is left in it."""
    drain(runtime.queue, lambda: runtime.queue.huey.pending_count() == 0
          and not runtime.queue.huey.scheduled_count())


def plain(message: EmailMessage) -> str:
    """Return the text part of a mail we sent."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def session_of(runtime, sender: str = CUSTOMER):
    """Return the conversation waiting for a sender on the support route, or None."""
    found = runtime.sessions.open_session("email", sender, "support")
    return runtime.sessions.get(found) if found else None


def test_a_mail_is_answered_by_one_mail_that_threads_under_it(receiver, relay, drain):
    send(receiver.port, mail("My card is lost.\n\n-- \nAnn Example\n+49 30 1234"))
    [answer] = answered(receiver.receiver.runtime, relay, drain)
    # the turn's two replies (the greeting and the menu) go as one mail: one turn, one message
    assert plain(answer).strip() == ("Hi, you wrote: My card is lost.\n\n"
                                     "Balance or bye?\nReply 1 for Balance\nReply 9 for Bye")
    assert answer["Subject"] == "Re: Card lost"
    assert answer["In-Reply-To"] == "<c1@customer.test>"
    assert answer["References"] == "<c1@customer.test>"
    assert answer["To"] == CUSTOMER and OURS in answer["From"]
    assert answer["Message-ID"].startswith("<mail.") and answer["Message-ID"].endswith("@acme.test>")
    html = answer.get_body(preferencelist=("html",)).get_content()
    assert "<p>Hi, you wrote: My card is lost.</p>" in html
    assert relay.envelopes == [(OURS, [CUSTOMER])]


def test_the_customers_reply_continues_the_same_conversation(receiver, relay, drain):
    runtime = receiver.receiver.runtime
    send(receiver.port, mail())
    [first] = answered(runtime, relay, drain)
    started = session_of(runtime)
    reply = mail(f"1\n\nOn Fri, 4 Dec 2026 Acme Support <{OURS}> wrote:\n> Balance or bye?\n",
                 subject="Re: Re: Card lost", message_id="<c2@customer.test>",
                 In_Reply_To=first["Message-ID"],
                 References=f"<c1@customer.test> {first['Message-ID']}")
    send(receiver.port, reply)
    second = answered(runtime, relay, drain, 2)[1]
    assert plain(second).startswith("Your balance is 42.00 EUR.")
    assert "wrote:" not in plain(second)  # only the new text reached the flow
    assert second["Subject"] == "Re: Re: Card lost"
    assert second["In-Reply-To"] == "<c2@customer.test>"
    assert second["References"].split() == ["<c1@customer.test>", first["Message-ID"],
                                             "<c2@customer.test>"]
    assert session_of(runtime).id == started.id
    assert session_of(runtime).vars["message"]["subject"] == "Re: Re: Card lost"


def test_a_mail_delivered_twice_is_answered_once(receiver, relay, drain):
    runtime = receiver.receiver.runtime
    send(receiver.port, mail())
    send(receiver.port, mail())
    answered(runtime, relay, drain)
    idle(runtime, drain)
    assert len(relay.mails) == 1


def test_a_recipient_no_route_takes_is_refused_at_rcpt(receiver):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(receiver.port, mail(), to="nobody@acme.test")
    [(code, text)] = refused.value.recipients.values()
    assert code == 550 and b"no such mailbox" in text


def test_a_mail_over_the_size_limit_is_refused_and_nothing_runs(mail_runtime, relay):
    runtime = mail_runtime("max_message_bytes = 4096\n")
    with MailServer(MailReceiver(runtime), "127.0.0.1", 0) as server:
        # the receiver announces its limit (EHLO SIZE): a sender that states a larger mail
        # is refused before it sends a byte of it
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            send(server.port, mail(("x" * 70 + "\n") * 120))
    assert refused.value.smtp_code == 552
    assert session_of(runtime) is None


def test_mail_data_over_the_cap_is_refused_even_when_the_sender_states_no_size(mail_runtime,
                                                                              relay):
    runtime = mail_runtime("max_message_bytes = 4096\n")
    with MailServer(MailReceiver(runtime), "127.0.0.1", 0) as server:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as smtp:
            smtp.ehlo()
            assert smtp.mail(CUSTOMER)[0] == 250 and smtp.rcpt(OURS)[0] == 250
            big = mail(("x" * 70 + "\n") * 120)
            code, _ = smtp.data(big.as_bytes(policy=big.policy.clone(linesep="\r\n")))
    assert code == 552
    assert session_of(runtime) is None


LOOPS = {
    "an auto-reply": dict(headers={"Auto-Submitted": "auto-replied"}),
    "bulk mail": dict(headers={"Precedence": "bulk"}),
    "junk": dict(headers={"Precedence": "junk"}),
    "a mailing list": dict(headers={"List-Id": "<news.customer.test>"}),
    "a list's unsubscribe link": dict(headers={"List-Unsubscribe": "<mailto:off@list.test>"}),
    "a bounce (null sender)": dict(envelope=""),
    "our own address": dict(sender=OURS, envelope=OURS),
}


@pytest.mark.parametrize("case", LOOPS.values(), ids=LOOPS.keys())
def test_mail_that_could_start_a_loop_is_accepted_and_never_answered(receiver, relay, drain,
                                                                      caplog, case):
    runtime = receiver.receiver.runtime
    message = mail(sender=case.get("sender", CUSTOMER))
    for name, value in case.get("headers", {}).items():
        message[name] = value
    with caplog.at_level(logging.INFO, logger="runtime.mail"):
        send(receiver.port, message, sender=case.get("envelope", CUSTOMER))
    idle(runtime, drain)
    assert relay.mails == []
    assert session_of(runtime, case.get("sender", CUSTOMER)) is None
    assert any("never answered" in record.getMessage() for record in caplog.records)


def test_auto_submitted_no_is_a_person_writing(receiver, relay, drain):
    send(receiver.port, mail(Auto_Submitted="no"))
    assert len(answered(receiver.receiver.runtime, relay, drain)) == 1


def test_a_relay_that_is_down_is_retried_and_the_answer_sent_exactly_once(receiver, relay,
                                                                          drain):
    runtime = receiver.receiver.runtime
    relay.stop()
    send(receiver.port, mail())
    # a few attempts fail on a refused connection, and stay queued for a retry
    drain(runtime.queue, lambda: (runtime.queue.ledger.get(_only_key(runtime)) or {})
          .get("attempts", 0) >= 2)
    assert relay.mails == []
    relay.start()
    answered(runtime, relay, drain)
    idle(runtime, drain)
    assert len(relay.mails) == 1
    assert runtime.queue.ledger.get(_only_key(runtime))["state"] == "delivered"


def _only_key(runtime) -> str:
    """Return the idempotency key of the answer to the test's one mail."""
    return reply_key(read_mail(mail().as_bytes()))
