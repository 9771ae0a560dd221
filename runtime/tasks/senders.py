"""The side effects of `send`: signed JSON over HTTP for SMS and webhooks, SMTP for e-mail, and
web chat's pushed messages."""

from __future__ import annotations

import asyncio
import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from blocks.sdk import BlockError, HttpRequest
from runtime.http.client import OutboundHttp
from runtime.mail.threads import mail_message_id
from runtime.messaging.signing import SIGNATURE_HEADER
from runtime.webchat import CONVERSATION, Message, chat_events_url, open_chat_events
from runtime.messaging.signing import \
    sign as signature  # the one implementation; `signature` is its old name here

CHANNELS = ("sms", "email", "webhook", "chat")
SMTP_TIMEOUT_S = 30.0
# Statuses that say "try again later"; any other 4xx means this request will never succeed.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class PermanentFailure(Exception):
    """Retrying cannot help: the address is refused, or the product is not configured for it."""


class RecipientOptedOut(Exception):
    """The recipient opted out of the channel (STOP): the message is not sent, and that is kept."""


@dataclass(frozen=True)
class Sent:
    """Where a message or callback went, and for an SMS how many segments its text took."""

    where: str
    segments: int | None = None


def missing_setting(settings: dict, channel: str) -> str | None:
    """Return what must be configured before a channel can send, or None when it can."""
    needs = {"sms": [("sms", "gateway"), ("webhooks", "secret")],
             "webhook": [("webhooks", "url"), ("webhooks", "secret")],
             "email": [("email", "relay"), ("email", "from")], "chat": []}[channel]
    for section, key in needs:
        if not settings.get(section, {}).get(key):
            variable = f"CALLWRIGHT_{section.upper()}_{key.upper()}"
            return f"send on {channel} needs [{section}] {key} in callwright.toml (or {variable})"
    return None


def post_message(settings: dict, key: str, message: dict) -> int:
    """POST a message as signed JSON to the SMS gateway or webhook URL; return the status.

    The idempotency key is the message's `id` and its `Idempotency-Key` header, so a gateway
    that sees a retried message can drop the copy.
    """
    channel = message["channel"]
    url = settings["sms"]["gateway"] if channel == "sms" else settings["webhooks"]["url"]
    body = {"id": key, "from": message.get("from"), "to": message["to"], "text": message["text"]}
    return post_signed(settings, url, key, body, f"{channel} gateway")


def post_signed(settings: dict, url: str, key: str, data: dict, what: str) -> int:
    """POST JSON signed with [webhooks] secret under the network policy; return the 2xx status.

    Raise PermanentFailure when retrying cannot help (refused address, a 4xx other than
    408/425/429) and ConnectionError when a retry may succeed.
    """
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    headers = {"Content-Type": "application/json", "Idempotency-Key": key,
               SIGNATURE_HEADER: signature(settings["webhooks"]["secret"], body.encode("utf-8"))}
    request = HttpRequest(method="POST", url=url, headers=headers, body=body,
                          timeout_s=float(settings.get("http", {}).get("timeout_s", 10.0)))
    try:
        response = asyncio.run(_send(settings, request))
    except BlockError as exc:
        if str(exc).startswith(("refused:", "invalid URL")):
            raise PermanentFailure(f"{what} {url}: {exc}") from None
        raise
    status = response.status
    if 200 <= status < 300:
        return status
    reason = f"{what} answered {status}"
    if 400 <= status < 500 and status not in RETRYABLE_STATUSES:
        raise PermanentFailure(f"{reason}: {_short(response.body)}")
    raise ConnectionError(f"{reason}: {_short(response.body)}")


async def _send(settings: dict, request: HttpRequest):
    """Send one request under the workspace's network policy, closing the client after it."""
    async with OutboundHttp(settings) as client:
        return await client.send(request)


def _short(body: object, limit: int = 200) -> str:
    """Return the start of a response body for an error message."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return text[:limit] + ("…" if len(text) > limit else "")


def send_email(settings: dict, key: str, message: dict) -> str:
    """Send a message as one mail through the SMTP relay; return the relay's address."""
    section = settings["email"]
    host, port = _relay(section["relay"])
    sender = section["from"]
    mail = EmailMessage()
    try:
        mail["From"] = sender
        mail["To"] = message["to"]
        mail["Subject"] = message.get("subject") or ""
        mail["Message-ID"] = mail_message_id(key, sender)
        mail["Date"] = formatdate(usegmt=True)
        # a reply names the mail it answers, so that mail clients show one thread
        if message.get("in_reply_to"):
            mail["In-Reply-To"] = message["in_reply_to"]
        if message.get("references"):
            mail["References"] = message["references"]
        if message.get("auto_submitted"):  # RFC 3834: tells other robots not to answer it
            mail["Auto-Submitted"] = message["auto_submitted"]
        mail.set_content(message["text"])
        if message.get("html"):
            mail.add_alternative(message["html"], subtype="html")
    except ValueError as exc:  # a header with a line break or an unusable address
        raise PermanentFailure(f"e-mail to {message['to']!r}: {exc}") from None
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S) as smtp:
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        error = f"relay {host}:{port} refused {message['to']!r}: {exc.recipients}"
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure(error) from None
        raise ConnectionError(error) from None
    except smtplib.SMTPResponseException as exc:
        error = f"relay {host}:{port} answered {exc.smtp_code} {exc.smtp_error!r}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(error) from None
        raise ConnectionError(error) from None
    return f"{host}:{port}"


def push_chat(config_root: Path, redis_url: str | None, sessions_url: str, key: str,
              message: dict) -> str:
    """Push a message to a web-chat conversation (its widget shows it); return the conversation.

    The key keeps a retried delivery from showing it twice.
    """
    conversation = message["to"]
    if not CONVERSATION.match(conversation):
        raise PermanentFailure(f"chat to {conversation!r}: not a web-chat conversation id "
                               f"(send on chat goes to {{{{ contact.from }}}} of a chat session)")
    events = open_chat_events(chat_events_url(config_root, redis_url, sessions_url))
    try:
        shown: Message = {"side": "bot", "text": message["text"]}
        if message.get("quick_replies"):
            shown["quick_replies"] = message["quick_replies"]  # the widget shows them as buttons
        events.append(conversation, shown, key)
    finally:
        events.close()
    return f"chat {conversation}"


def _relay(text: str) -> tuple[str, int]:
    """Parse `[email] relay` (host:port; port 25 when left out)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        return text.strip(), 25
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise PermanentFailure(f"[email] relay {text!r} is not host:port")
    return host.strip("[]"), int(port)
