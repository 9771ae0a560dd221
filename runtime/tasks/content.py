"""What a `send` says: its own text, or a named response rendered for the channel and language."""

from __future__ import annotations

import json
import re
from pathlib import Path

from blocks.sdk import BlockError
from blocks.sdk.templates import is_template, render_html, render_text
from runtime.responses import choose
from runtime.mail.markup import clean_html

from .senders import PermanentFailure

_NAME = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)/([A-Za-z0-9_][A-Za-z0-9_.-]*)$")


def message_of(root: Path, payload: dict) -> dict:
    """Return the message to deliver: channel, to, from, text and subject, all rendered."""
    message = {name: payload[name] for name in ("channel", "to", "from", "subject", "html",
                                                "in_reply_to", "references", "auto_submitted")
               if payload.get(name) is not None}
    if "text" in payload:
        message["text"] = payload["text"]
        return message
    fields = response_fields(root, payload["response"], payload["channel"],
                             payload.get("language") or "")
    scope = payload.get("scope") or {}
    try:
        rendered = {name: (render_html if name == "html" else render_text)(value, scope)
                    if is_template(value) else value for name, value in fields.items()}
    except BlockError as exc:
        raise PermanentFailure(f"response {payload['response']!r}: {exc}") from None
    message["text"] = rendered.get("text", "")
    for name in ("subject", "html"):
        if name not in message and rendered.get(name):
            message[name] = rendered[name]
    if payload["channel"] == "email" and "html" in message:
        # the HTML of a response is a template: a value put into it must not become markup
        message["html"] = clean_html(message["html"])
    return message


def response_fields(root: Path, name: str, channel: str, language: str) -> dict:
    """Return the text, subject and HTML of a named response's variant for a channel and language.

    The most specific variant with a text wins (runtime.responses.choose), language before
    channel: channel and language, then language, then channel, then the response's own fields.
    """
    match = _NAME.fullmatch(name)
    if match is None:
        raise PermanentFailure(f"response {name!r} is not set/name")
    path = root / "responses" / f"{match[1]}.json"
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PermanentFailure(f"response {name!r}: cannot read {path}: {exc}") from None
    response = (document.get("responses") or {}).get(match[2]) if isinstance(document, dict) else None
    if not isinstance(response, dict):
        raise PermanentFailure(f"response {name!r}: {path} has no response {match[2]!r}")
    fields = choose(response, channel, language, needs_text=True)
    if "text" not in fields:
        raise PermanentFailure(f"response {name!r} has no text for {channel} ({language or 'any language'})")
    return _texts(fields)


def _texts(source: dict) -> dict:
    """Return the text, subject and HTML of a response or variant."""
    return {name: str(source[name]) for name in ("text", "subject", "html") if name in source}
