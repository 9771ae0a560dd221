"""How well and how fast do bots understand? Accuracy beside a keyword router, latency, calibration.

Run from the repository root: `.venv/bin/python benchmarks/bots.py [--calibration]`.

1. Accuracy of each example bot (examples/workspace/bots/*.json) on its utterance files
   (English and Russian, typos, inflected forms, out-of-scope lines), as `callwright bot test`
   counts it, beside a keyword-only router on the same lines: the first intent one of whose
   keywords occurs in the message as a word (case folded), else `fallback`. The matcher was
   tuned on the bank bot's lines; the support bot and its lines were written afterwards and
   not tuned on: they are the held-out test.
2. Latency of `Bot.classify` for a generated 50-intent bot with 10 examples an intent in each of
   English and Russian: p50 and p99 over 2,000 messages, the index build time, and a 100 kB
   message (capped: it must cost no more than a sentence).
3. `--calibration`: for the example lines, the share answered right by bins of the matcher's raw
   score, which is what `runtime/bots/calibration.py`'s curve is read from.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.bots import compile_bot, read  # noqa: E402
from runtime.bots.evaluation import evaluate, read_utterances  # noqa: E402
from runtime.bots.language import detect  # noqa: E402
from runtime.bots.lexical import _scores  # noqa: E402

BOTS = Path(__file__).resolve().parent.parent / "examples" / "workspace" / "bots"
EN = ("account card money balance transfer loan pay send block open close statement pin code "
      "branch rate euro dollar credit debit limit fee bill phone app login password address name "
      "change update cancel order new old lost stolen travel abroad insurance deposit savings "
      "interest mortgage house car student business tax salary refund dispute").split()
RU = ("счёт карта деньги баланс перевод кредит платить отправить заблокировать открыть закрыть "
      "выписка пин код отделение банкомат курс евро доллар лимит комиссия телефон приложение "
      "вход пароль адрес имя изменить обновить отменить заказать новый старый потерял украли "
      "поездка страховка вклад проценты ипотека дом машина студент бизнес налог зарплата "
      "возврат спор").split()


def keyword_router(doc: dict, text: str) -> str:
    """Return the first intent one of whose keywords is in the text as words, else fallback."""
    said = " " + " ".join(re.findall(r"\w+", text.casefold().replace("ё", "е"))) + " "
    for name, intent in doc["intents"].items():
        for keywords in intent.get("keywords", {}).values():
            if any(f" {k.casefold().replace('ё', 'е')} " in said for k in keywords):
                return name
    return "fallback"


def accuracy() -> None:
    """Print each example bot's and the keyword router's accuracy on its utterance files."""
    for path in sorted(BOTS.glob("*.json")):
        doc = json.loads(path.read_text("utf-8"))
        bot = compile_bot(doc)
        files = sorted(BOTS.glob(f"{path.stem}.*.csv"))
        everything = []
        for file in [*files, None]:
            lines = read_utterances(file) if file else everything
            if file:
                everything.extend(lines)
            ours = evaluate(bot, lines).accuracy
            keywords = sum(keyword_router(doc, u.text) == u.intent for u in lines) / len(lines)
            name = file.name if file else f"{path.stem} (all)"
            print(f"{name:<18} lines {len(lines):4}   bot {ours:6.1%}   "
                  f"keywords only {keywords:6.1%}")


def generated_bot(intents: int = 50, examples: int = 10, seed: int = 1) -> dict:
    """Return a bot of random bank-word phrases, `examples` an intent in English and Russian."""
    rng = random.Random(seed)
    return {"schema": "callwright/bot@1", "id": "big", "languages": ["en", "ru"],
            "intents": {f"intent_{i}": {
                "examples": {"en": [" ".join(rng.sample(EN, 5)) for _ in range(examples)],
                             "ru": [" ".join(rng.sample(RU, 5)) for _ in range(examples)]},
                "keywords": {"en": [rng.choice(EN)], "ru": [rng.choice(RU)]}}
                for i in range(intents)}}


def latency(messages: int = 2000) -> None:
    """Print index build time and classification latency of a 50-intent bot."""
    doc = generated_bot()
    started = time.perf_counter()
    bot = compile_bot(doc)
    built = time.perf_counter() - started
    rng = random.Random(2)
    texts = [" ".join(rng.sample(EN if n % 2 else RU, 6)) for n in range(messages)]
    times = []
    for text in texts:
        started = time.perf_counter()
        bot.classify(text)
        times.append(time.perf_counter() - started)
    times.sort()
    started = time.perf_counter()
    bot.classify("balance " * 12_500)
    huge = time.perf_counter() - started
    print(f"50 intents x 10 examples x 2 languages: index built in {built * 1000:.0f} ms; "
          f"classify p50 {statistics.median(times) * 1000:.2f} ms, "
          f"p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms; a 100 kB message "
          f"{huge * 1000:.2f} ms")


def calibration() -> None:
    """Print the share of example lines answered right by bins of the raw score."""
    bot = compile_bot(json.loads((BOTS / "bank.json").read_text("utf-8")))
    rows = []
    for path in sorted(BOTS.glob("bank.*.csv")):
        for line in read_utterances(path):
            text = read(line.text)
            language, declared = detect(text, bot.languages, bot.matcher.vocabulary)
            scores = sorted(_scores(bot.matcher._indexes[language], text).items(),
                            key=lambda item: -item[1]) if declared and language else []
            best = scores[0] if scores else (None, 0.0)
            rows.append((best[1], best[0] == line.intent))
    edges = [0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.75, 1.01]
    for low, high in zip(edges, edges[1:]):
        inside = [right for score, right in rows if low <= score < high]
        share = sum(inside) / len(inside) if inside else float("nan")
        print(f"raw {low:.2f}-{min(high, 1):.2f}: {len(inside):3} lines, {share:5.0%} right")


def main() -> None:
    """Print accuracy and latency, or the calibration bins."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", action="store_true",
                        help="print the share right by bins of raw score")
    args = parser.parse_args()
    if args.calibration:
        calibration()
        return
    accuracy()
    latency()


if __name__ == "__main__":
    main()
