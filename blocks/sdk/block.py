"""The base class of every block."""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .context import Context

Exit = str
ERROR_EXIT = "error"  # every block has it: a failure takes it, no config may name it otherwise


def read_manifest(package: str, filename: str) -> dict:
    """Read a manifest shipped beside a block's module, as package data."""
    return json.loads(resources.files(package).joinpath(filename).read_text("utf-8"))


def undeclared_exit(exit_name: object) -> RuntimeError:
    """Return the error of a block that returned an exit its manifest does not declare."""
    return RuntimeError(f"block returned exit {exit_name!r}, which it does not declare")


def pointer_token(key: str) -> str:
    """Escape an object key as one JSON pointer token (RFC 6901), for `check` problems."""
    return key.replace("~", "~0").replace("/", "~1")


class Block:
    """A step of a flow: a declarative manifest plus one `run(ctx)` coroutine.

    A block instance is created once per block of a loaded flow and shared by every session
    running that flow, so it must keep no per-session state on `self`: per-session state lives in
    `ctx.state` (saved with the session) and `ctx.vars`.

    `manifest` is the block's manifest (see `schemas/block.schema.json`), usually read from a
    JSON file beside the module with `read_manifest(__package__, "say.json")`.

    `run(ctx)` does the block's work through `ctx` only and returns the name of the exit to take.
    Raising any exception takes the `error` exit; the message is logged with the step.

    Waiting blocks (`ask`, `menu`) must tolerate being re-run: when a chat session waits for the
    next message, the engine saves the session and, when the message arrives (perhaps in another
    process), runs the block again from its start with `ctx.state` as it was saved. Until the
    awaited `ctx.ask` returns that message, actions the block emits are not emitted again, so the
    code before an `ask` must depend only on `ctx.state`, `ctx.config` and `ctx.vars`.
    """

    manifest: ClassVar[dict]

    def __init__(self, block_id: str, config: dict) -> None:
        self.id = block_id
        self.config = config

    @classmethod
    def exits_for(cls, config: dict) -> list[str]:
        """Return every exit a block with this config may take, `error` included."""
        names = list(cls.manifest.get("exits", ()))
        for source in cls.manifest.get("exits_from", ()):
            items = config.get(source["list"])
            if not isinstance(items, list):
                continue
            field = source.get("field")
            for item in items:
                name = item.get(field) if field and isinstance(item, dict) else item
                if isinstance(name, str) and name not in names:
                    names.append(name)
        if ERROR_EXIT not in names:
            names.append(ERROR_EXIT)
        return names

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Return (JSON pointer inside config, message) for what the config schema cannot express.

        Called by validation after the config passed its schema, e.g. percentages that must add up
        to 100 or a regular expression that must compile. The default finds nothing.
        """
        return []

    async def run(self, ctx: Context) -> Exit | None:
        """Do the block's work and return the exit to take."""
        raise NotImplementedError(f"{type(self).__name__} does not implement run()")
