"""Messaging blocks: `send` queues an SMS, e-mail or webhook message and goes on at once."""

from __future__ import annotations

import json

from blocks.sdk import Block, BlockError, Context, Exit, read_manifest


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
            # a named response is rendered by the worker, which reads the workspace's responses;
            # it renders with the session's data as it is now
            payload["response"] = config["response"]
            payload["language"] = ctx.language
            payload["scope"] = _json_copy({"vars": ctx.vars, "contact": ctx.contact,
                                           "trigger": ctx.trigger})
        key = await ctx.enqueue("send", payload)
        content = {"text": payload["text"]} if "text" in payload else {"response": payload["response"]}
        ctx.emit("send", channel=channel, to=to, id=key, **content)
        ctx.log(f"send {channel} to {to}: queued as {key}")
        return "next"


def _json_copy(value: dict) -> dict:
    """Return a JSON-only copy (dates and other objects as text) of session data."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


BLOCKS = (SendBlock,)
