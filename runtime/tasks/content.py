"""What a `send` says: its own text, or the variant of a named response rendered for the message."""

from __future__ import annotations

from pathlib import Path

from blocks.sdk import BlockError
from blocks.sdk.templates import is_template, render_html, render_text
from runtime.responses import ResponseLibrary, UnknownResponse
from runtime.mail.markup import clean_html

from .senders import PermanentFailure

# what a message takes of a response's variant; only chat shows quick replies (as buttons)
TEXTS = ("text", "subject", "html")


def message_of(root: Path, payload: dict) -> dict:
    """Return the message to deliver: channel, to, from, text and subject, all rendered."""
    message = {name: payload[name] for name in ("channel", "to", "from", "subject", "html",
                                                "in_reply_to", "references", "auto_submitted")
               if payload.get(name) is not None}
    if "text" in payload:
        message["text"] = payload["text"]
        return message
    content = payload.get("content")
    if content is None:
        content = legacy_content(root, payload)
    rendered = rendered_content(payload, content)
    message["text"] = rendered.get("text", "")
    for name in ("subject", "html"):
        if name not in message and rendered.get(name):
            message[name] = rendered[name]
    if payload["channel"] == "email" and "html" in message:
        # the HTML of a response is a template: a value put into it must not become markup
        message["html"] = clean_html(message["html"])
    if payload["channel"] == "chat" and content.get("quick_replies"):
        message["quick_replies"] = [str(label) for label in content["quick_replies"]]
    return message


def rendered_content(payload: dict, content: dict) -> dict:
    """Return the texts of a response's variant rendered with the payload's scope; raise
    PermanentFailure naming the response when a template fails."""
    fields = {name: str(content[name]) for name in TEXTS if name in content}
    scope = payload.get("scope") or {}
    try:
        return {name: (render_html if name == "html" else render_text)(value, scope)
                if is_template(value) else value for name, value in fields.items()}
    except BlockError as exc:
        raise PermanentFailure(f"response {payload['response']!r}: {exc}") from None


def legacy_content(root: Path, payload: dict) -> dict:
    """Return the variant of a response named by a payload queued before `send` chose it.

    Such a payload (queued by an older version, waiting in the queue through an upgrade) names
    its response only. The worker has no live library of its own, so the responses folder is
    read as it stands, through the library's own loader: a set that does not validate is left
    out, as it would be by a reload.
    """
    name, channel = payload["response"], payload["channel"]
    language = payload.get("language") or ""
    library, _ = ResponseLibrary.load(root / "responses")
    try:
        content = library.content(name, channel, language, needs_text=True)
    except UnknownResponse as exc:
        raise PermanentFailure(str(exc)) from None
    if "text" not in content:
        raise PermanentFailure(f"response {name!r} has no text for {channel} "
                               f"({language or 'any language'})")
    return content
