"""`record`: say a prompt, beep, and record what the caller says."""

from __future__ import annotations

from blocks.sdk import Block, Context, Exit, read_manifest

DEFAULT_MAX_S = 60


class RecordBlock(Block):
    """Record the caller after a prompt and a beep; store where the recording is kept."""

    manifest = read_manifest(__package__, "record.json")

    async def run(self, ctx: Context) -> Exit:
        """Record; `next` with the recording stored, `noinput` when nothing was recorded."""
        config = ctx.config
        taken = await ctx.record(config.get("prompt") or None,
                                 max_s=config.get("max_s", DEFAULT_MAX_S),
                                 beep=config.get("beep", True))
        if taken is None:
            return "noinput"
        # the step's entry in the execution log names the recording even without a variable
        ctx.log(f"recording {taken['recording']} ({taken['seconds']} s)")
        if "variable" in config:
            ctx.set(config["variable"], taken)
        return "next"


BLOCKS = (RecordBlock,)
