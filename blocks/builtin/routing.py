"""Routing blocks: `subflow` runs another flow, `transfer` hands the contact on, `end` ends."""

from __future__ import annotations

from blocks.sdk import Block, BlockError, Context, Exit, read_manifest
from blocks.sdk.templates import template_error

TRANSFER_STATUSES = ("busy", "noanswer", "failed")


class SubflowBlock(Block):
    """Run another flow to its end, then copy its outputs into this session's variables."""

    manifest = read_manifest(__package__, "subflow.json")

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report input templates with a syntax error (inputs are evaluated by the block itself)."""
        problems = []
        inputs = config.get("inputs")
        for name, value in (inputs.items() if isinstance(inputs, dict) else ()):
            error = isinstance(value, str) and template_error(value)
            if error:
                problems.append((f"/inputs/{_escape(name)}", error))
        return problems

    async def run(self, ctx: Context) -> Exit:
        """Enter the subflow; when it has ended, store its outputs and go on."""
        config = ctx.config
        flow = config["flow"]
        # Inputs are raw in the manifest so that `{{ vars.account }}` hands over a number or an
        # object as it is, not its text.
        inputs = {name: ctx.value(value) for name, value in config.get("inputs", {}).items()}
        result = await ctx.subflow(flow, inputs)
        disposition = result.get("disposition")
        if disposition == "error":
            reason = f": {result['error']}" if result.get("error") else ""
            raise BlockError(f"subflow {flow!r} ended with an error{reason}")
        outputs = result.get("outputs") or {}
        for path, name in config.get("outputs", {}).items():
            ctx.set(path, outputs.get(name))
        ctx.log(f"subflow {flow!r} ended: {disposition}")
        return "next"


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


def _escape(name: str) -> str:
    """Escape a key for use in a JSON pointer (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


BLOCKS = (SubflowBlock, TransferBlock, EndBlock)
