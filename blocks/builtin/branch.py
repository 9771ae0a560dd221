"""`branch`: take the exit of the first rule whose condition holds, else `default`.

It runs in tight loops, so it compiles its rules once in `__init__`: its fields are raw (not
rendered by the engine), which makes `self.config` the config of every run.
"""

from __future__ import annotations

from typing import Any

from blocks.sdk import ERROR_EXIT, Block, Context, read_manifest

from .conditions import compile_async_condition, compile_condition, condition_problems, uses_expr


class BranchBlock(Block):
    """Take the exit of the first rule whose condition holds, else `default`."""

    manifest = read_manifest(__package__, "branch.json")

    def __init__(self, block_id: str, config: dict) -> None:
        super().__init__(block_id, config)
        rules = config.get("rules")
        self._rules: tuple[tuple[Any, str, bool], ...] = tuple(
            _rule(rule, i) for i, rule in enumerate(rules if isinstance(rules, list) else ())
            if isinstance(rule, dict))

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report broken conditions (bad patterns, templates, values) and reserved exit names."""
        problems: list[tuple[str, str]] = []
        for i, rule in enumerate(config.get("rules", [])):
            problems.extend(condition_problems(rule.get("when"), f"/rules/{i}/when"))
            if rule.get("exit") == ERROR_EXIT:
                problems.append((f"/rules/{i}/exit", "the `error` exit is reserved for failures; "
                                                     "name this rule's exit differently"))
        return problems

    async def run(self, ctx: Context) -> str:
        """Test the rules in order; the first that holds names the exit."""
        for test, exit_name, awaited in self._rules:
            if (await test(ctx)) if awaited else test(ctx):
                return exit_name
        return "default"


def _rule(rule: dict, index: int) -> tuple[Any, str, bool]:
    """Compile one rule: (test, exit, whether the test must be awaited because it holds `expr`)."""
    where, when = f"/rules/{index}/when", rule.get("when")
    if uses_expr(when):
        return compile_async_condition(when, where), rule.get("exit", "default"), True
    return compile_condition(when, where), rule.get("exit", "default"), False


BLOCKS = (BranchBlock,)
