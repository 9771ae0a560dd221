"""Speech recognition of the example menus: accuracy, rejection, CPU and concurrency.

    python benchmarks/speech.py [--workspace examples/workspace] [--json]

Each menu of the example flows (labels and synonyms; the grammar a caller's wait gets) is spoken
by espeak-ng in several voices and speeds, converted to 8 kHz like every prompt, cut by the
endpointer and recognised by PocketSphinx as a SIP call would be. It prints:

- accuracy: in-grammar phrases recognised as themselves and accepted (goal >= 90%);
- recognised: in-grammar phrases recognised as themselves, whatever their confidence;
- false accepts: out-of-grammar sentences, noise and hum that were accepted as some phrase;
- both at other centres of the confidence curve (what CENTER is set from), and the likelihood
  ratios of right answers and of out-of-grammar speech;
- CPU seconds per second of audio, and how many recognitions run concurrently in real time on
  the machine's cores (processes, each with its decoder, all busy at once).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runtime.media import TextToSpeech  # noqa: E402
from runtime.speech.endpoint import steady, utterance_in  # noqa: E402
from runtime.speech.grammar import Grammar, phrases_of  # noqa: E402
from runtime.speech.pocketsphinx import CENTER, Evidence, PocketSphinx  # noqa: E402

VOICES = ["en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb-x-rp", "en-029"]
RATES = [140, 175, 210]
OUT_OF_GRAMMAR = ["what is the weather like today", "good morning", "thank you very much",
                  "I would like to open an account", "can I pay my bill", "hello",
                  "what time is it", "I want a new mortgage"]


def menus(workspace: Path) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Return each example menu's phrases (labels and synonyms) and its options' phrases."""
    found = {}
    for path in sorted((workspace / "flows").glob("*.json")):
        doc = json.loads(path.read_text())
        for block_id, block in doc.get("blocks", {}).items():
            if block.get("type") == "menu":
                options = [[o.get("label", o["key"]), *o.get("synonyms", [])]
                           for o in block["config"]["options"]]
                found[f"{doc['id']}/{block_id}"] = ([t for o in options for t in o], options)
    return found


def speakers() -> list[TextToSpeech]:
    return [TextToSpeech(voices={"en": voice}, rate=rate) for voice in VOICES for rate in RATES]


def option_of(menu_options: list[list[str]], text: str) -> int:
    """Return the index of the option a phrase selects (-1 for none)."""
    return next((n for n, texts in enumerate(menu_options) if text in texts), -1)


def measure_accuracy(workspace: Path, recognizer: PocketSphinx) -> dict:
    """Recognise every phrase of every menu in every voice and speed, and sentences outside."""
    rng = np.random.default_rng(1)
    samples: list[tuple[bool, bool, Evidence]] = []  # (in grammar, right option, evidence)
    by_voice: dict[str, list[int]] = {}  # voice -> [right and accepted, phrases]
    nothing = Evidence("", -math.inf, 1.0)
    audio_s = cpu_s = 0.0
    for texts, options in menus(workspace).values():
        grammar = Grammar("en", phrases_of(texts))
        for tts in speakers():
            for text in texts + OUT_OF_GRAMMAR:
                pcm = tts.speak_sync(text, "en").pcm
                # a telephone line's hiss under the speech
                noisy = np.frombuffer(pcm, "<i2") + rng.normal(0, 30, len(pcm) // 2)
                utterance = utterance_in(noisy.clip(-32768, 32767).astype("<i2").tobytes())
                if utterance is None or steady(utterance):
                    samples.append((text in texts, False, nothing))
                    continue
                started = time.process_time()
                found = recognizer.scored(utterance, grammar)
                cpu_s += time.process_time() - started
                audio_s += len(utterance) / 16000
                inside = text in texts
                right = inside and bool(found.text) and \
                    option_of(options, found.text) == option_of(options, text)
                samples.append((inside, right, found))
                if inside:
                    tally = by_voice.setdefault(f"{tts.voices['en']}@{tts.rate}", [0, 0])
                    tally[0] += right and found.confidence() >= recognizer.threshold
                    tally[1] += 1
    inside = [s for s in samples if s[0]]
    outside = [s for s in samples if not s[0]]

    def at(center: float) -> tuple[float, float]:
        """Accuracy and false accepts with confidence 0.5 at this ratio."""
        accepted = lambda found: found.confidence(center) >= recognizer.threshold
        return (sum(1 for _, right, found in inside if right and accepted(found)) / len(inside),
                sum(1 for _, _, found in outside if accepted(found)) / len(outside))

    accuracy, false_accepts = at(CENTER)
    right_ratios = [f.ratio for _, right, f in inside if right and f.ratio != -math.inf]
    out_ratios = [f.ratio for _, _, f in outside if f.ratio != -math.inf]
    pct = lambda xs: [round(float(q), 2) for q in np.percentile(xs, [5, 25, 50, 75, 95])] \
        if xs else []
    return {"phrases": len(inside), "accuracy": round(accuracy, 4),
            "recognised": round(sum(1 for _, right, _ in inside if right) / len(inside), 4),
            "out_of_grammar": len(outside), "false_accepts": round(false_accepts, 4),
            "sweep_center_accuracy_false_accepts": [
                (c, round(at(c)[0], 3), round(at(c)[1], 3)) for c in range(-36, -19, 2)],
            "ratio_right_p5_25_50_75_95": pct(right_ratios),
            "ratio_out_of_grammar_p5_25_50_75_95": pct(out_ratios),
            "unexplained_right_p50_90_95_99": [round(float(q), 2) for q in np.percentile(
                [f.unexplained for _, right, f in inside if right], [50, 90, 95, 99])],
            "unexplained_out_of_grammar_p5_10_25_50": [round(float(q), 2) for q in np.percentile(
                [f.unexplained for _, _, f in outside if f.text], [5, 10, 25, 50])],
            "accuracy_by_voice_and_wpm": {k: round(a / n, 2) for k, (a, n) in by_voice.items()},
            "noise": noise_outcomes(recognizer, rng), "voices": VOICES, "rates_wpm": RATES,
            "cpu_s_per_audio_s": round(cpu_s / audio_s, 4)}


def noise_outcomes(recognizer: PocketSphinx, rng: np.random.Generator) -> dict:
    """What silence and noise give a menu's wait: noinput or nomatch, or (wrongly) a phrase."""
    found = {}
    grammar = Grammar("en", phrases_of(["Balance", "Lost card", "Agent", "operator", "human"]))
    for name, samples in (("silence", np.zeros(16000)),
                          ("hiss", rng.normal(0, 1500, 16000)),
                          ("loud noise", rng.normal(0, 8000, 16000)),
                          ("hum 150 Hz", 4000 * np.sin(np.arange(16000) * 2 * np.pi * 150 / 8000))):
        utterance = utterance_in(samples.clip(-32768, 32767).astype("<i2").tobytes())
        if utterance is None:
            found[name] = "noinput"
            continue
        if steady(utterance):  # as Listening does before recognising
            found[name] = "nomatch (a steady sound)"
            continue
        heard = recognizer.recognize(utterance, grammar)
        found[name] = f"accepted as {heard.text!r}" if heard.accepted(recognizer.threshold) \
            else "nomatch"
    return found


_worker: PocketSphinx | None = None


def _recognise_for(seconds: float, pcm: bytes, texts: list[str]) -> tuple[float, float]:
    """In a worker process: recognise `pcm` over and over for `seconds`; return audio and wall s."""
    global _worker
    if _worker is None:
        _worker = PocketSphinx(workers=1)
    grammar = Grammar("en", phrases_of(texts))
    _worker.recognize(pcm, grammar)  # compiled once, as on a node
    audio = 0.0
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        _worker.recognize(pcm, grammar)
        audio += len(pcm) / 16000
    return audio, time.monotonic() - started


def measure_concurrency(seconds: float = 5.0) -> dict:
    """All cores busy recognising: audio seconds done per wall second is how many callers
    speaking non-stop could be heard in real time at once."""
    texts = ["Balance", "my balance", "Lost card", "stolen card", "Agent", "operator", "human"]
    pcm = utterance_in(TextToSpeech().speak_sync("stolen card", "en").pcm)
    cores = len(os.sched_getaffinity(0))
    with ProcessPoolExecutor(cores) as pool:
        done = list(pool.map(_recognise_for, [seconds] * cores, [pcm] * cores, [texts] * cores))
    audio = sum(a for a, _ in done)
    wall = max(w for _, w in done)
    return {"cores": cores, "audio_s_per_wall_s": round(audio / wall, 1),
            "concurrent_real_time_recognitions": int(audio / wall),
            "load_average_1m": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=ROOT / "examples" / "workspace")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    recognizer = PocketSphinx(workers=1)
    figures = {"threshold": recognizer.threshold, **measure_accuracy(args.workspace, recognizer),
               **measure_concurrency()}
    # what the CPU alone allows: each core hears 1 / (CPU s per audio s) callers at once
    figures["cpu_bound_real_time_recognitions"] = int(
        figures["cores"] / figures["cpu_s_per_audio_s"])
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:40} {value}")


if __name__ == "__main__":
    main()
