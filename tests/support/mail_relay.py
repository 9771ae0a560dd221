"""A real SMTP server (aiosmtpd) standing in for the relay: it keeps every mail it accepts.

Importable as `mail_relay` (tests/support is on pythonpath). `Relay` can be stopped and started
again on the same port, as a relay that goes down and comes back.
"""

from __future__ import annotations

import email
import smtplib
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from typing import Callable

from aiosmtpd.controller import Controller

OURS = "support@acme.test"
CUSTOMER = "ann@customer.test"


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keeper:
    """aiosmtpd's handler: keep each mail's envelope and parsed message."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        with self.relay.lock:
            self.relay.mails.append(message)
            self.relay.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.relay.on_mail is not None:
            self.relay.on_mail(message)
        return "250 2.0.0 kept"


class Relay:
    """An SMTP relay on 127.0.0.1:port that accepts everything and keeps it."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mails: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None
        self.on_mail: Callable[[EmailMessage], None] | None = None  # told of each mail kept

    @property
    def address(self) -> str:
        """Return host:port, as `[email] relay` takes it."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> Relay:
        """Start listening (again)."""
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused, as by a relay that is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until `count` mails were accepted; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.mails) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.mails)


def mail(text: str = "My card is lost.", *, subject: str = "Card lost",
         message_id: str = "<c1@customer.test>", sender: str = CUSTOMER,
         **headers: str) -> EmailMessage:
    """Return a plain-text mail from the customer to support."""
    message = EmailMessage()
    message["From"] = f"Ann <{sender}>"
    message["To"] = OURS
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def send(port: int, message: EmailMessage | bytes, *, sender: str = CUSTOMER,
         to: str = OURS) -> None:
    """Hand a mail to the receiver over SMTP, as a mail server would."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        # on the wire, lines end in CRLF (smtplib converts a str, but sends bytes as they are)
        data = message if isinstance(message, bytes) else \
            message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        smtp.sendmail(sender, [to], data)
