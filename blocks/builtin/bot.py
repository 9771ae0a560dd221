"""`bot`: classify a message with a workspace bot and take its intent's exit."""

from __future__ import annotations

from typing import Any

from blocks.sdk import Block, Classification, Context, Exit, Input, read_manifest

from .attempts import NOMATCH, collect

ANSWERED = "answered"
FALLBACK = "fallback"
DEFAULT_VARIABLE = "vars.bot"


class BotBlock(Block):
    """Classify a message (or ask for one) with a bot; take its intent's exit, `answered` or
    `fallback`."""

    manifest = read_manifest(__package__, "bot.json")

    async def run(self, ctx: Context) -> Exit:
        """Classify the input, or ask until a message is understood, and take where it leads."""
        config = ctx.config
        if config.get("prompt") is None:
            text = config["input"] if "input" in config else _last_input(ctx)
            result = await ctx.classify(config["bot"], str(text or ""))
            understood = self._understood(ctx, result)
            self._keep(ctx, result, understood)
            return self._exit(ctx, result) if understood else FALLBACK
        # on the phone the bot's examples and keywords are what the recogniser listens for
        spoken = {"bot": config["bot"]} if ctx.channel == "voice" else {}
        result = await collect(ctx, lambda answer: self._accept(ctx, answer), kind="text",
                               timeout_s=config.get("timeout_s", 5), **spoken)
        return FALLBACK if result is NOMATCH else self._exit(ctx, result)

    async def _accept(self, ctx: Context, answer: Input) -> Any:
        """Return an answer's classification when the bot understood it, else NOMATCH."""
        result = await ctx.classify(ctx.config["bot"], answer.text)
        understood = self._understood(ctx, result)
        self._keep(ctx, result, understood)
        return result if understood else NOMATCH

    @staticmethod
    def _understood(ctx: Context, result: Classification) -> bool:
        """Return True when the best intent is sure enough (the block's threshold, or the bot's)."""
        threshold = ctx.config.get("min_confidence", result.min_confidence)
        return result.intent is not None and result.declared and result.confidence >= threshold

    @staticmethod
    def _keep(ctx: Context, result: Classification, understood: bool) -> None:
        """Store the result in the block's variable (intent null when not understood); set the
        contact's language from a message it understood, unless the flow set it (a language this
        block detected before may change: the customer switched languages). A message it did
        not understand ("ok", a name) says too little about the language to change it."""
        variable = ctx.config.get("variable", DEFAULT_VARIABLE)
        current = ctx.contact.get("language")
        detected_before = ctx.get(f"{variable}.language")
        stored = result.as_dict()
        if not understood:
            stored["intent"] = None
        ctx.set(variable, stored)
        if understood and result.language and result.declared and current != result.language \
                and (not current or current == detected_before):
            ctx.set("contact.language", result.language)

    @staticmethod
    def _exit(ctx: Context, result: Classification) -> Exit:
        """Say an auto-response intent's response and take `answered`; else the intent's exit."""
        if result.response is not None:
            ctx.say(response=result.response)
            return ANSWERED
        return result.intent  # type: ignore[return-value]


def _last_input(ctx: Context) -> str | None:
    """Return the last answer the session gave in this run, else the message that opened it."""
    if ctx.last_input is not None:
        return ctx.last_input.text
    return ctx.get("trigger.text")


BLOCKS = (BotBlock,)
