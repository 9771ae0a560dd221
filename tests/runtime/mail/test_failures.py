"""A mail that cannot be handled now is offered again later, and then handled once."""

from __future__ import annotations

import smtplib

import pytest
from mail_relay import mail, send

from runtime.mail import MailReceiver
from runtime.mail.server import MailServer


def test_a_turn_that_fails_answers_451_and_the_mail_offered_again_is_answered_once(
        mail_runtime, relay, drain, monkeypatch):
    runtime = mail_runtime()
    inbound = runtime.inbound
    calls = []

    def store_down_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:  # as a session store that cannot be reached would
            raise ConnectionError("the session store is down")
        return inbound(*args, **kwargs)
    monkeypatch.setattr(runtime, "inbound", store_down_once)
    with MailServer(MailReceiver(runtime), "127.0.0.1", 0) as server:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(server.port, mail())
        assert refused.value.smtp_code == 451
        send(server.port, mail())  # the sending server's next try
        drain(runtime.queue, lambda: len(relay.mails) == 1)
    assert len(calls) == 2 and len(relay.mails) == 1
