"""`subflow`: run another flow to its end, then copy its outputs into this session's variables."""

from __future__ import annotations

from blocks.sdk import Block, BlockError, Context, Exit, pointer_token, read_manifest
from blocks.sdk.templates import template_error


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
                problems.append((f"/inputs/{pointer_token(name)}", error))
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


BLOCKS = (SubflowBlock,)
