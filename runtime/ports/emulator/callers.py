"""Scripted callers for the emulator: what each emulated caller does when a prompt asks for input.

A callers file (`callwright emulate --callers FILE`) is a JSON list of caller scripts. Each
call offered to the emulator takes the next script in turn (round-robin), or, when any script
has a `weight`, one drawn at random by weight (seeded by `--seed`)::

    [{"name": "balance", "weight": 3, "from": "+4930555000", "to": "bank",
      "actions": [{"digits": "1"}, {"digits": "12345678#", "gap_s": 0.2}]},
     {"name": "agent", "actions": [{"digits": "0", "during_s": 1.5}], "transfer": "busy"},
     {"name": "silent", "actions": [], "then": "silence"},
     {"name": "impatient", "actions": [{"auto": true}], "hangup_after_s": 8}]

Script fields (all optional):

- `actions`: one per prompt that asks for input (a menu or an ask), in order:
  `{"digits": "123#"}` presses keys `gap_s` apart (default 0.3 s), starting `after_s` after the
  prompt has played (default 1 s); `{"digits": "1", "during_s": 0.5}` presses 0.5 s into the
  prompt instead, which stops it (barge-in); `{"silence": true}` presses nothing, so the wait
  times out; `{"auto": true}` answers as the automatic caller does; `{"hangup": true}` hangs up
  (`after_s` after the prompt, or `during_s` into it); `{"speak_s": 4}` speaks 4 s at a recording.
- `then`: what the caller does once its actions run out: `silence` (the default), `auto` or
  `hangup`.
- `hangup_after_s`: the caller hangs up this many seconds after the call started (offered, or
  answered for a callee we dialled), wherever the call stands.
- `from`, `to`: the calling and the dialled number (`contact.from`, `contact.to` of the session).
- `transfer`: what transfers of the call end in: `connected` (default), `busy`, `noanswer`,
  `failed`. `answer`, `answer_after_s`: for a call we dial, how the callee answers
  (`answered` by default, `busy`, `noanswer`, `failed`) and after how long it rings.
- `holding`: how long the caller stays on the line, drawn from a distribution for each call
  (`exp:180`, `fixed:60`, `uniform:30:90`: see `runtime.ports.emulator.holding`); it hangs up
  then, wherever the call stands. It takes the place of `callwright emulate --holding`.
- `name`, `weight` (a positive number).

The automatic caller picks a random key of a menu, types a random answer of the asked length
(4 digits when no length is asked) followed by the terminator, 0.5 to 2.5 s after the prompt;
at a recording it speaks 2 to 6 s. Without a callers file the emulator uses `DEFAULT_CALLERS`:
80 % automatic callers, 10 % who stay silent (every wait times out) and 10 % automatic callers
who hang up 10 s into the call.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from jsonschema import Draft202012Validator

from runtime.errors import EngineError
from runtime.ports.port import DIAL_RESULTS, TRANSFER_RESULTS

from .holding import Holding, InvalidHolding, parse_holding

_OUTCOMES = {"type": "string", "enum": list(TRANSFER_RESULTS)}
_SECONDS = {"type": "number", "minimum": 0}
_ACTION = {
    "type": "object", "additionalProperties": False,
    "properties": {"digits": {"type": "string", "pattern": "^[0-9*#A-D]*$"},
                   "silence": {"const": True}, "auto": {"const": True}, "hangup": {"const": True},
                   "speak_s": _SECONDS, "after_s": _SECONDS, "during_s": _SECONDS,
                   "gap_s": _SECONDS},
    "minProperties": 1,
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array", "minItems": 1,
    "items": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "name": {"type": "string"}, "weight": {"type": "number", "exclusiveMinimum": 0},
            "from": {"type": "string"}, "to": {"type": "string"},
            "actions": {"type": "array", "items": _ACTION},
            "then": {"type": "string", "enum": ["silence", "auto", "hangup"]},
            "hangup_after_s": _SECONDS, "transfer": _OUTCOMES,
            "answer": {"type": "string", "enum": list(DIAL_RESULTS)},
            "answer_after_s": _SECONDS, "holding": {"type": "string"},
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)
THINK_S = 1.0  # a scripted key press comes this long after the prompt, unless told otherwise
GAP_S = 0.3
AUTO_THINK_S = (0.5, 2.5)


class InvalidCallers(EngineError):
    """A callers file cannot be used; `problems` lists every problem with its JSON pointer."""

    code = "invalid_callers"

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class CallerScript:
    """What one kind of caller does; see the module's docstring for the fields."""

    name: str = "caller"
    actions: tuple[dict, ...] = ()
    then: str = "silence"
    hangup_after_s: float | None = None
    weight: float | None = None
    caller: str = ""
    called: str = ""
    transfer: str = "connected"
    answer: str = "answered"
    answer_after_s: float | None = None
    holding: Holding | None = None

    @classmethod
    def from_json(cls, data: dict) -> CallerScript:
        """Return the script a (valid) JSON object describes."""
        return cls(name=data.get("name", "caller"), actions=tuple(data.get("actions", ())),
                   then=data.get("then", "silence"), hangup_after_s=data.get("hangup_after_s"),
                   weight=data.get("weight"), caller=data.get("from", ""),
                   called=data.get("to", ""), transfer=data.get("transfer", "connected"),
                   answer=data.get("answer", "answered"),
                   answer_after_s=data.get("answer_after_s"),
                   holding=parse_holding(data["holding"]) if "holding" in data else None)


DEFAULT_CALLERS = (
    CallerScript(name="auto", then="auto", weight=8),
    CallerScript(name="silent", then="silence", weight=1),
    CallerScript(name="hangs-up", then="auto", hangup_after_s=10, weight=1),
)


@dataclass
class CallerMix:
    """Hands out caller scripts: round-robin, or at random by weight when any script has one."""

    scripts: tuple[CallerScript, ...] = DEFAULT_CALLERS
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if not self.scripts:
            raise ValueError("a caller mix needs at least one script")
        self._turns = itertools.cycle(self.scripts)
        weights = [s.weight for s in self.scripts]
        self._weights = None if all(w is None for w in weights) else \
            list(itertools.accumulate(w if w is not None else 1.0 for w in weights))

    def pick(self) -> CallerScript:
        """Return the script of the next call."""
        if self._weights is None:
            return next(self._turns)
        return self.rng.choices(self.scripts, cum_weights=self._weights)[0]


def parse_callers(data: Any, source: str = "callers") -> tuple[CallerScript, ...]:
    """Return the scripts of a callers document; raise InvalidCallers listing every problem."""
    problems = sorted([f"{source}: /{'/'.join(map(str, e.absolute_path))}: {e.message}"
                       for e in _VALIDATOR.iter_errors(data)] + _holding_problems(data, source))
    if problems:
        raise InvalidCallers(f"{source} is not a valid callers file", problems)
    return tuple(CallerScript.from_json(item) for item in data)


def _holding_problems(data: list, source: str) -> list[str]:
    """Return a problem for each script whose `holding` names no distribution."""
    problems = []
    for index, item in enumerate(data if isinstance(data, list) else ()):
        holding = item.get("holding") if isinstance(item, dict) else None
        if isinstance(holding, str):  # any other type is the schema's problem
            try:
                parse_holding(holding)
            except InvalidHolding as exc:
                problems.append(f"{source}: /{index}/holding: {exc}")
    return problems


def load_callers(path: str | Path) -> tuple[CallerScript, ...]:
    """Read a callers file; raise InvalidCallers when it cannot be read or is not valid."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidCallers(f"{path} cannot be read", [f"{path}: {exc}"]) from None
    except json.JSONDecodeError as exc:
        raise InvalidCallers(f"{path} is not JSON",
                             [f"{path}: line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    return parse_callers(data, str(path))


class CallerLine(Protocol):
    """The line a scripted caller acts on: a clock to act later, keys to press, a hang-up."""

    def later(self, seconds: float, callback: Callable[..., Any], *args: Any) -> None:
        """Call `callback(*args)` after `seconds` of the line's clock."""

    def _press(self, key: str) -> None:
        """The far end pressed a key."""

    def _gone(self, by: str = "caller") -> None:
        """The far end hung up."""


class ScriptedCaller:
    """One emulated caller on a call: acts on the port as its script says, when prompts ask."""

    __slots__ = ("_acted", "_actions", "_pending", "holding", "rng", "script")

    def __init__(self, script: CallerScript, rng: random.Random,
                 holding: Holding | None = None) -> None:
        self.script = script
        self.rng = rng
        self.holding = script.holding or holding  # the script's own, else the emulation's
        self._actions = iter(script.actions)
        self._pending: tuple[dict, dict] | None = None  # the answer to the prompt now playing
        self._acted = False  # this turn's answer was given during the prompt (barge-in)

    def started(self, port: CallerLine) -> None:
        """The call has started: arm the caller's own hang-up (the sooner of the two)."""
        after = self.script.hangup_after_s
        if self.holding is not None:
            held = self.holding.draw(self.rng)
            after = held if after is None else min(after, held)
        if after is not None:
            port.later(after, port._gone)

    def prompt_started(self, port: CallerLine, prompt: dict) -> None:
        """A prompt starts playing; one that asks for input begins the caller's turn."""
        wanted = prompt.get("input")
        if wanted is None:
            return
        action = self._next()
        if action.get("during_s") is not None:
            self._act(port, action, wanted, action["during_s"])
            self._pending, self._acted = None, True
        else:
            self._pending, self._acted = (action, wanted), False

    def collecting(self, port: CallerLine) -> None:
        """Key collection starts: answer now, unless this turn's answer was given already."""
        if self._pending is not None:
            (action, wanted), self._pending = self._pending, None
        elif self._acted:
            self._acted = False
            return
        else:  # collection without an asking prompt: a turn of its own
            action, wanted = self._next(), {}
        self._act(port, action, wanted, action.get("after_s"))

    def recording(self) -> float:
        """Return how long the caller speaks at a recording (0: silence)."""
        action = self._next()
        if action.get("auto"):
            return self.rng.uniform(2.0, 6.0)
        return float(action.get("speak_s", 0.0))

    def _next(self) -> dict:
        action = next(self._actions, None)
        if action is not None:
            return action
        return {"silence": True} if self.script.then == "silence" else {self.script.then: True}

    def _act(self, port: CallerLine, action: dict, wanted: dict, delay: float | None) -> None:
        """Schedule what the caller does for one turn, `delay` seconds from now."""
        if action.get("hangup"):
            port.later(THINK_S if delay is None else delay, port._gone)
            return
        if action.get("auto"):
            keys = self._auto_keys(wanted)
            delay = self.rng.uniform(*AUTO_THINK_S) if delay is None else delay
        else:
            keys = action.get("digits", "")
            delay = THINK_S if delay is None else delay
        gap = action.get("gap_s", GAP_S)
        for index, key in enumerate(keys):
            port.later(delay + index * gap, port._press, key)

    def _auto_keys(self, wanted: dict) -> str:
        """Return what the automatic caller presses for a prompt asking for `wanted`."""
        choices = wanted.get("keys")
        if choices:
            return self.rng.choice(choices)
        length = wanted.get("max_length") or 4
        digits = "".join(self.rng.choice("0123456789") for _ in range(length))
        return digits + (wanted.get("terminator") or "")
