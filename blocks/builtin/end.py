"""`end`: end the session with a disposition, saying a last text or response first."""

from __future__ import annotations

from blocks.sdk import Block, Context, Exit, read_manifest


class EndBlock(Block):
    """End the session with a disposition, saying a last text or response first."""

    manifest = read_manifest(__package__, "end.json")

    async def run(self, ctx: Context) -> Exit | None:
        """Say the last words, if any, and end the session."""
        config = ctx.config
        if "text" in config:
            ctx.say(config["text"])
        elif "response" in config:
            ctx.say(response=config["response"])
        ctx.end(config.get("disposition", "completed"))
        return None


BLOCKS = (EndBlock,)
