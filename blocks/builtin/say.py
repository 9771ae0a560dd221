"""`say`: speak a text, play a recorded prompt, or deliver a named response."""

from __future__ import annotations

from blocks.sdk import Block, Context, Exit, read_manifest


class SayBlock(Block):
    """Say a text, play a recorded prompt, or deliver a named response."""

    manifest = read_manifest(__package__, "say.json")

    async def run(self, ctx: Context) -> Exit:
        """Emit one say action and go on."""
        config = ctx.config
        if "response" in config:
            ctx.say(response=config["response"])
        elif "audio" in config:
            ctx.say(audio=config["audio"])
        else:
            ctx.say(config["text"])
        return "next"


BLOCKS = (SayBlock,)
