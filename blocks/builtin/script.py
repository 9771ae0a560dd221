"""The `script` block: a short RestrictedPython script run in the runtime's sandbox.

The block never compiles or runs code itself (blocks do not import the runtime): it hands the
code to `ctx.script`, which the runtime answers from its pool of sandboxed worker processes.
Syntax and restricted-name errors are reported by validation, which asks the sandbox.
"""

from __future__ import annotations

from typing import Any

from blocks.sdk import Block, BlockError, Context, Exit, read_manifest

_RESERVED = ("next", "error")
DEFAULT_TIMEOUT_MS = 1000


class ScriptBlock(Block):
    """Run script code; apply the variables it changed and take the exit it returned."""

    manifest = read_manifest(__package__, "script.json")

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report listed exits that collide with `next` or `error`."""
        return [(f"/exits/{i}", f"`{name}` is always an exit of a script; list only extra exits")
                for i, name in enumerate(config.get("exits", [])) if name in _RESERVED]

    async def run(self, ctx: Context) -> Exit:
        """Run the code, store its changed variables, return its exit (`next` when none)."""
        config = ctx.config
        given = _value(ctx, config["input"]) if "input" in config else dict(ctx.trigger)
        result = await ctx.script(config["code"], input=given,
                                  timeout_ms=config.get("timeout_ms", DEFAULT_TIMEOUT_MS))
        if result.output:
            ctx.log(result.output.rstrip("\n"))
        exit_name = _exit(result.exit, config.get("exits", []))
        _apply(ctx, result.vars)
        return exit_name


def _value(ctx: Context, value: Any) -> Any:
    """Evaluate templates inside a value; a whole `{{ expression }}` keeps its type."""
    if isinstance(value, str):
        return ctx.value(value)
    if isinstance(value, dict):
        return {key: _value(ctx, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_value(ctx, item) for item in value]
    return value


def _exit(returned: Any, listed: list[str]) -> str:
    """Return the exit a script's return value names; raise BlockError for an unlisted one."""
    if returned is None or returned == "next":
        return "next"
    if returned == "error":
        raise BlockError("the script returned 'error'")
    if returned not in listed:
        known = ", ".join(repr(name) for name in ["next", *listed])
        raise BlockError(f"the script returned exit {returned!r}, which is not one of its "
                         f"exits ({known}); add it to the block's exits")
    return returned


def _apply(ctx: Context, changed: dict[str, Any]) -> None:
    """Set each changed top-level variable, after checking every name (all or nothing)."""
    for name in changed:
        if not name or "." in name:
            raise BlockError(f"the script set vars[{name!r}]: variable names set by scripts "
                             f"are not empty and contain no '.'")
    for name, value in changed.items():
        ctx.set(f"vars.{name}", value)


BLOCKS = (ScriptBlock,)
