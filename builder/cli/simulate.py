"""`callwright simulate`: run one session of a flow file and print its transcript."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import click

from runtime import InvalidFlow, simulate as run_simulation
from runtime.media.errors import UnreadablePrompt
from runtime.speech import SpeechUnavailable

SPEECH_PREFIXES = ("speech:", "audio:")


def _parse_var(text: str) -> tuple[str, object]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{text!r} is not NAME=VALUE", param_hint="--var")
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 date and time",
                                 param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _print_event(event: dict) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@click.command()
@click.argument("flow", type=click.Path(dir_okay=False))
@click.option("--channel", type=click.Choice(["chat", "voice", "sms", "email"]), default="chat",
              show_default=True, help="The channel the session runs on.")
@click.option("--trigger", "trigger_text", help="The message that opened the session.")
@click.option("--input", "inputs", multiple=True,
              help="An answer to the next wait; repeat. Text or keys as typed; on voice also "
                   "speech:TEXT (spoken by the product's TTS at 8 kHz and recognised) or "
                   "audio:PATH (a WAV recording); an empty one is silence (noinput).")
@click.option("--var", "variables", multiple=True, help="NAME=VALUE set before the start; repeat.")
@click.option("--from", "sender", help="The contact's address (caller number, sender).")
@click.option("--to", "to", help="The address the contact reached.")
@click.option("--now", help="Fix the clock (ISO-8601; without an offset, UTC).")
@click.option("--workspace", type=click.Path(file_okay=False, exists=True),
              help="Workspace for subflows and settings (default: the flow file's own).")
def simulate(flow: str, channel: str, trigger_text: str | None, inputs: tuple[str, ...],
             variables: tuple[str, ...], sender: str | None, to: str | None, now: str | None,
             workspace: str | None) -> None:
    """Run one session of FLOW with scripted inputs and print its transcript as JSON lines."""
    for value in inputs:
        if value.startswith(SPEECH_PREFIXES) and channel != "voice":
            raise click.BadParameter(f"{value!r}: speech and audio inputs are heard on the "
                                     "voice channel (--channel voice)", param_hint="--input")
    values = dict(_parse_var(v) for v in variables)
    try:
        result = run_simulation(flow, channel=channel, inputs=inputs, trigger_text=trigger_text,
                                vars=values, sender=sender, to=to, now=_parse_now(now),
                                workspace=workspace, emit=_print_event)
    except (UnreadablePrompt, SpeechUnavailable) as exc:
        click.echo(f"error: --input: {exc}", err=True)
        sys.exit(2)
    except InvalidFlow as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    sys.exit(result.exit_code)
