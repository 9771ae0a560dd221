"""Messaging blocks: `send` queues an SMS, e-mail or webhook message and goes on at once."""

from __future__ import annotations

import json

from blocks.sdk import Block, BlockError, Context, Exit, read_manifest

# what a message carries of a response's variant (`audio` is for voice alone)
SENT = ("text", "subject", "html", "quick_replies")


class SendBlock(Block):
    """Queue one message for background delivery; a worker delivers it once, with retries."""

    manifest = read_manifest(__package__, "send.json")

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report a subject on a channel that has none."""
        if "subject" in config and config.get("channel") != "email":
            return [("/subject", f"only e-mail has a subject, not {config.get('channel')}")]
        return []

    async def run(self, ctx: Context) -> Exit:
        """Queue the message, emit a `send` action with its key, and take `next`."""
        config = ctx.config
        channel = config["channel"]
        to = config["to"].strip()
        if not to:
            raise BlockError("send: `to` is empty after rendering its template")
        payload: dict = {"channel": channel, "to": to}
        ours = ctx.contact.get("to")
        if channel == ctx.channel and ours:
            # on the session's own channel we answer from the address the contact is talking to
            # (`contact.to` is ours whichever side opened the conversation)
            payload["from"] = ours
        if config.get("subject"):
            payload["subject"] = config["subject"]
        if "text" in config:
            payload["text"] = config["text"]
        else:
            # the live response is chosen now, for the target channel and the session's language;
            # the worker renders its templates with what they see of the session now
            payload["response"] = config["response"]
            payload["content"] = _content(ctx, config["response"], channel)
            payload["scope"] = _json_copy(ctx.scope())
        key = await ctx.enqueue("send", payload)
        content = {"text": payload["text"]} if "text" in payload else {"response": payload["response"]}
        ctx.emit("send", channel=channel, to=to, id=key, **content)
        ctx.log(f"send {channel} to {to}: queued as {key}")
        return "next"


def _content(ctx: Context, name: str, channel: str) -> dict:
    """Return the fields of a named response's variant that a message carries, unrendered."""
    content = ctx.response(name, channel=channel)
    if content is None:
        raise BlockError(f"send: response {name!r} cannot be chosen: this host has no responses")
    fields = {field: content[field] for field in SENT if content.get(field)}
    if not isinstance(fields.get("text"), str):
        raise BlockError(f"send: response {name!r} has no text for {channel} "
                         f"({ctx.language})")
    return _json_copy(fields)


def _json_copy(value: dict) -> dict:
    """Return a JSON-only copy (dates and other objects as text) of session data."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


BLOCKS = (SendBlock,)
