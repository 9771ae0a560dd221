"""`split`: send each session down one branch at random, by percentage (A/B tests, rollouts)."""

from __future__ import annotations

from blocks.sdk import ERROR_EXIT, Block, BlockError, Context, read_manifest


class SplitBlock(Block):
    """Send each session down one branch at random, by percentage (A/B tests, gradual rollouts)."""

    manifest = read_manifest(__package__, "split.json")

    def __init__(self, block_id: str, config: dict) -> None:
        super().__init__(block_id, config)
        bounds: list[tuple[float, str]] = []
        total = 0.0
        for branch in config.get("branches") or ():
            if isinstance(branch, dict) and _percent(branch) > 0:
                total += _percent(branch)
                bounds.append((total, branch.get("exit", "error")))
        # Scaling by the total keeps the proportions if the sum is off (validation reports that).
        self._bounds = tuple(bounds)
        self._total = total

    @classmethod
    def check(cls, config: dict) -> list[tuple[str, str]]:
        """Report percentages that do not add up to 100 and reserved exit names."""
        branches = config.get("branches", [])
        problems = [(f"/branches/{i}/exit", "the `error` exit is reserved for failures; name this "
                                            "branch's exit differently")
                    for i, branch in enumerate(branches) if branch.get("exit") == ERROR_EXIT]
        total = sum(_percent(branch) for branch in branches)
        if abs(total - 100) > 1e-6:
            problems.append(("/branches", f"the percentages add up to {total:g}, not 100"))
        return problems

    async def run(self, ctx: Context) -> str:
        """Pick a branch: a random point on the cumulative percentages."""
        if not self._bounds:
            raise BlockError("split has no branch with a percentage above 0")
        point = ctx.random() * self._total
        for bound, exit_name in self._bounds:
            if point < bound:
                return exit_name
        return self._bounds[-1][1]  # only reached through rounding at the very top


def _percent(branch: dict) -> float:
    """Return a branch's percentage, 0 when it is not a number."""
    value = branch.get("percent")
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


BLOCKS = (SplitBlock,)
