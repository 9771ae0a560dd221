"""`callwright bot test BOT --utterances FILE.csv`: how well a bot understands labelled lines."""

from __future__ import annotations

import json
from pathlib import Path

import click

from blocks.sdk import ConfigurationError
from runtime.bots import InvalidBot, compile_bot, matcher_for
from runtime.bots.evaluation import Report, UtterancesError, evaluate, read_utterances
from runtime.validation import read_json
from runtime.workspace.settings import SettingsError, load_settings


@click.group()
def bot() -> None:
    """Work with the bots of a workspace (bots/<id>.json)."""


@bot.command("test")
@click.argument("bot_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--utterances", "files", multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A CSV file with columns text,intent (`fallback` for out-of-scope lines); "
                   "may be given more than once.")
@click.option("--min-accuracy", type=click.FloatRange(0, 1), default=None,
              help="Exit 1 when the accuracy is below this share (0 to 1).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
              help="The threshold below which a line counts as `fallback` (default: the bot's).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: accuracy, per-intent precision and recall, the most "
                   "confused pairs and every mistake.")
def test(bot_file: Path, files: tuple[Path, ...], min_accuracy: float | None,
         min_confidence: float | None, as_json: bool) -> None:
    """Classify every line of the utterance files with a bot and compare with their intents.

    Exit 0 when the accuracy reaches --min-accuracy (or none is given), 1 below it, 2 for a bot
    file or utterances file that cannot be read.
    """
    _, doc, problems = read_json(bot_file)
    if problems:
        raise click.UsageError("\n".join(map(str, problems)))
    # a bot of a workspace is matched as the workspace matches it (`[bots] matcher`)
    root = bot_file.resolve().parent.parent if bot_file.resolve().parent.name == "bots" else None
    try:
        compiled = compile_bot(doc, matcher_for(load_settings(root)))
        utterances = [line for file in files for line in read_utterances(file, compiled.intents)]
    except InvalidBot as exc:
        raise click.UsageError(f"{bot_file} is not a valid bot:\n"
                               + "\n".join(map(str, exc.problems))) from None
    except (UtterancesError, SettingsError, ConfigurationError) as exc:
        raise click.UsageError(str(exc)) from None
    report = evaluate(compiled, utterances, min_confidence)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        click.echo(_text(report))
    below = min_accuracy is not None and report.accuracy < min_accuracy
    if below and not as_json:
        click.echo(f"accuracy {report.accuracy:.1%} is below --min-accuracy {min_accuracy:.1%}",
                   err=True)
    click.get_current_context().exit(1 if below else 0)


def _text(report: Report) -> str:
    """Return the report as a few lines a person reads."""
    right = sum(o.right for o in report.outcomes)
    lines = [f"accuracy: {report.accuracy:.1%} ({right} of {len(report.outcomes)} lines)", "",
             f"{'intent':<24}{'precision':>10}{'recall':>8}{'lines':>7}"]
    for name, row in report.per_intent().items():
        lines.append(f"{name:<24}{row['precision']:>10.0%}{row['recall']:>8.0%}"
                     f"{row['support']:>7}")
    confused = report.confused()
    if confused:
        lines += ["", "most confused (intent -> answered as: lines):"]
        lines += [f"  {c['intent']} -> {c['predicted']}: {c['count']}" for c in confused]
    return "\n".join(lines)
