"""E-mail through a real SMTP relay, and the signature every outbound message carries."""

from __future__ import annotations

import email
import hashlib
import hmac
import socketserver
import threading
from email import policy

import pytest

from runtime.tasks import signature


class SmtpRelay(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on 127.0.0.1 that keeps the mails it accepts."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.mails: list[email.message.EmailMessage] = []
        self.recipients: list[str] = []
        self.rcpt_answers: list[str] = []  # answers to the next RCPT commands; then 250

    @property
    def address(self) -> str:
        """Return host:port."""
        return f"127.0.0.1:{self.server_address[1]}"


class SmtpSession(socketserver.StreamRequestHandler):
    """One SMTP conversation: EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        relay: SmtpRelay = self.server  # type: ignore[assignment]
        self.reply("220 relay.test ESMTP")
        while line := self.rfile.readline(4096):
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 relay.test")
            elif verb == "MAIL" or verb == "RSET" or verb == "NOOP":
                self.reply("250 OK")
            elif verb == "RCPT":
                answer = relay.rcpt_answers.pop(0) if relay.rcpt_answers else "250 OK"
                if answer.startswith("250"):
                    relay.recipients.append(line.decode().split(":", 1)[1].strip())
                self.reply(answer)
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline(65536)) not in (b".\r\n", b""):
                    data += chunk
                relay.mails.append(email.message_from_bytes(data, policy=policy.default))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def relay() -> SmtpRelay:
    """Run an SMTP relay on a free port of 127.0.0.1 for one test."""
    server = SmtpRelay()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def email_toml(relay: SmtpRelay, retries: int = 2) -> str:
    """Return settings that send e-mail through the relay, tasks run where queued."""
    return (f'[email]\nrelay = "{relay.address}"\nfrom = "Acme Bank <bank@acme.test>"\n'
            f"[tasks]\nimmediate = true\nretries = {retries}\nretry_delay_s = 0\n")


def row(queue, key: str) -> dict:
    """Return a message's ledger row."""
    return queue.ledger.get(key)


def test_an_email_goes_through_the_relay_as_one_mail_identified_by_its_key(task_queue, relay):
    queue = task_queue(email_toml(relay))
    queue.enqueue("send", {"channel": "email", "to": "ada@example.com", "subject": "Your code",
                           "text": "Your code is 4711.\nAcme"}, "s1.2.3.mail")
    [mail] = relay.mails
    assert mail["From"] == "Acme Bank <bank@acme.test>"
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Your code"
    assert mail["Message-ID"] == "<s1.2.3.mail@acme.test>"
    assert mail.get_content().replace("\r\n", "\n") == "Your code is 4711.\nAcme\n"
    assert relay.recipients == ["<ada@example.com>"]
    assert row(queue, "s1.2.3.mail")["state"] == "delivered"


def test_cyrillic_mail_arrives_intact(task_queue, relay):
    queue = task_queue(email_toml(relay))
    queue.enqueue("send", {"channel": "email", "to": "anna@example.com", "subject": "Код",
                           "text": "Ваш код 4711."}, "s1.2.4.mail")
    [mail] = relay.mails
    assert (mail["Subject"], mail.get_content().strip()) == ("Код", "Ваш код 4711.")


def test_a_response_mails_its_subject_text_and_html_rendered_the_html_cleaned(task_queue,
                                                                               relay):
    queue = task_queue(email_toml(relay))
    content = {"subject": "Case {{ vars.case }}", "text": "We have case {{ vars.case }}.",
               "html": "<p onclick=\"x()\">Case <b>{{ vars.case }}</b>: {{ vars.note }}</p>"}
    queue.enqueue("send", {"channel": "email", "to": "ada@example.com", "response": "bank/case",
                           "content": content, "scope": {"vars": {
                               "case": 17, "note": "<script>steal()</script>"}}}, "s1.2.5.mail")
    [mail] = relay.mails
    assert mail["Subject"] == "Case 17"
    assert mail.get_body(preferencelist=("plain",)).get_content().strip() == "We have case 17."
    assert mail.get_body(preferencelist=("html",)).get_content().strip() == \
        "<p>Case <b>17</b>: &lt;script&gt;steal()&lt;/script&gt;</p>"


def test_a_recipient_the_relay_refuses_for_good_fails_at_once(task_queue, relay):
    queue = task_queue(email_toml(relay, retries=3))
    relay.rcpt_answers = ["550 no such user"]
    queue.enqueue("send", {"channel": "email", "to": "ghost@example.com", "text": "Hi"},
                  "s2.1.1.mail")
    assert relay.mails == []
    state = row(queue, "s2.1.1.mail")
    assert (state["state"], state["attempts"]) == ("failed", 1)
    assert "550" in state["last_error"] and "ghost@example.com" in state["last_error"]


def test_a_recipient_refused_for_now_is_retried(task_queue, relay):
    queue = task_queue(email_toml(relay, retries=3))
    relay.rcpt_answers = ["451 try again later"]
    queue.enqueue("send", {"channel": "email", "to": "ada@example.com", "text": "Hi"},
                  "s3.1.1.mail")
    assert len(relay.mails) == 1
    assert (row(queue, "s3.1.1.mail")["state"], row(queue, "s3.1.1.mail")["attempts"]) == ("delivered", 2)


def test_an_unreachable_relay_is_retried_then_recorded_as_failed(task_queue, relay):
    address = relay.address
    relay.shutdown()
    relay.server_close()
    queue = task_queue(f'[email]\nrelay = "{address}"\nfrom = "bank@acme.test"\n'
               "[tasks]\nimmediate = true\nretries = 1\nretry_delay_s = 0\n")
    queue.enqueue("send", {"channel": "email", "to": "ada@example.com", "text": "Hi"},
                  "s4.1.1.mail")
    state = row(queue, "s4.1.1.mail")
    assert (state["state"], state["attempts"]) == ("failed", 2)
    assert "refused" in state["last_error"].lower()


def test_a_relay_that_is_not_host_and_port_fails_naming_the_setting(task_queue):
    queue = task_queue('[email]\nrelay = "mail.example.com:smtp"\nfrom = "bank@acme.test"\n'
               "[tasks]\nimmediate = true\n")
    queue.enqueue("send", {"channel": "email", "to": "ada@example.com", "text": "Hi"},
                  "s5.1.1.mail")
    assert "[email] relay 'mail.example.com:smtp' is not host:port" in row(queue, "s5.1.1.mail")["last_error"]


def test_an_address_with_a_line_break_cannot_inject_headers(task_queue, relay):
    queue = task_queue(email_toml(relay))
    queue.enqueue("send", {"channel": "email", "to": "ada@example.com\r\nBcc: all@example.com",
                           "text": "Hi"}, "s6.1.1.mail")
    assert relay.mails == []
    assert row(queue, "s6.1.1.mail")["state"] == "failed"


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_raw_body():
    body = '{"id":"k","text":"Привет"}'.encode()
    expected = hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("secret", body, 1700000000) == f"t=1700000000,v1={expected}"
    assert signature("other", body, 1700000000) != signature("secret", body, 1700000000)
