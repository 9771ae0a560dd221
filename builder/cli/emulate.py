"""`callwright emulate`: run a flow under Poisson traffic on an emulated board; print the stats."""

from __future__ import annotations

import json
import sys

import click

from runtime import InvalidFlow
from runtime.commands import emulate as run_emulation
from runtime.ports.emulator import Holding, InvalidCallers, InvalidHolding, parse_holding
from runtime.ports.emulator.holding import SYNTAX as HOLDING_SYNTAX

from .simulate import _parse_now, _parse_var


class _Speed(click.ParamType):
    """A clock speed above 0, or `max`: a virtual clock, as fast as the CPU allows."""

    name = "speed"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float | str:
        """Return the speed as a float, or "max"."""
        if isinstance(value, float) or value == "max":
            return value
        try:
            speed = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            speed = 0.0
        if not 0 < speed < float("inf"):
            self.fail(f"{value!r} is neither a number above 0 nor 'max'", param, ctx)
        return speed


def _holding(ctx: click.Context, param: click.Parameter, value: str | None) -> Holding | None:
    """Return the holding-time distribution the option names (None: the flow decides)."""
    if value is None:
        return None
    try:
        return parse_holding(value)
    except InvalidHolding as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.command()
@click.argument("flow", type=click.Path(dir_okay=False))
@click.option("--ports", type=click.IntRange(min=1), required=True,
              help="Ports (channels) on the emulated board: calls at once.")
@click.option("--cps", type=click.FloatRange(min=0), required=True,
              help="Offered calls per second (Poisson arrivals).")
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Seconds (virtual) during which calls arrive.")
@click.option("--speed", type=_Speed(), default=1.0, show_default=True,
              help="Clock speed: 50 runs 60 s of traffic in about 1.2 s; 'max' runs a virtual "
                   "clock as fast as the CPU allows (accelerated mode).")
@click.option("--holding", callback=_holding, metavar="DIST",
              help=f"Holding time: callers hang up this long after the offer, drawn per call "
                   f"from {HOLDING_SYNTAX} (exp:180: 3 minutes on average). Default: the "
                   f"flow and the callers decide.")
@click.option("--callers", type=click.Path(dir_okay=False, exists=True),
              help="JSON list of caller scripts (docs/emulator.md); default: a mix of "
                   "automatic, silent and hanging-up callers.")
@click.option("--workspace", type=click.Path(file_okay=False, exists=True),
              help="Workspace for subflows and settings (default: the flow file's own).")
@click.option("--seed", type=int, help="Seed of arrivals and callers, for a repeatable run.")
@click.option("--now", help="Calendar time the traffic starts at (ISO-8601; without an offset, "
                            "UTC); default: now.")
@click.option("--var", "variables", multiple=True, help="NAME=VALUE set before the start; repeat.")
@click.option("--drain", "drain_s", type=click.FloatRange(min=0), default=300.0, show_default=True,
              help="Seconds (virtual) calls in progress may take to finish after the traffic.")
def emulate(flow: str, ports: int, cps: float, duration: float, speed: float | str,
            holding: Holding | None, callers: str | None, workspace: str | None,
            seed: int | None, now: str | None, variables: tuple[str, ...],
            drain_s: float) -> None:
    """Offer Poisson traffic to FLOW on an emulated board and print one JSON stats report."""
    values = dict(_parse_var(v) for v in variables)
    try:
        report = run_emulation(flow, ports=ports, cps=cps, duration_s=duration, speed=speed,
                               holding=holding, callers=callers, workspace=workspace, seed=seed,
                               now=_parse_now(now), vars=values, drain_s=drain_s)
    except (InvalidFlow, InvalidCallers) as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
