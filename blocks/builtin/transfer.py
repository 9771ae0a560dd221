"""`transfer`: hand the contact on to a number, SIP URI, queue or agent."""

from __future__ import annotations

from blocks.sdk import Block, BlockError, Context, Exit, read_manifest

TRANSFER_STATUSES = ("busy", "noanswer", "failed")


class TransferBlock(Block):
    """Transfer the contact to a number, SIP URI, queue or agent."""

    manifest = read_manifest(__package__, "transfer.json")

    async def run(self, ctx: Context) -> Exit | None:
        """Transfer; connected ends the session, any other outcome is this block's exit."""
        target = ctx.config["target"]
        kind, address = next(iter(target.items()))
        if not str(address).strip():
            # A template such as `{{ vars.agent_number }}` may render to nothing.
            raise BlockError(f"transfer target {kind} is empty")
        status = await ctx.transfer(target, ctx.config.get("timeout_s", 30))
        if status == "connected":
            ctx.end("transferred")
        if status not in TRANSFER_STATUSES:
            raise BlockError(f"transfer to {kind} {address!r} returned unknown status {status!r}")
        return status


BLOCKS = (TransferBlock,)
