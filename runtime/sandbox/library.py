"""What scripts may use besides the safe builtins: vetted functions in small namespaces.

Scripts never receive a module object: `datetime.sys.modules['os']`, `re.enum.sys` and
`json.codecs.open` are complete escapes whatever the guards. Each namespace here is a
`SimpleNamespace` holding plain values and `Vetted` wrappers; a wrapper is a callable object with
no attribute a script can read, so nothing leads from it to a module, a frame or `__globals__`.
`ATTRIBUTES` lists, per type, the attributes a script may read; everything else is refused.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json as _json
import math as _math
import random as _random
import re as _re
import unicodedata
import zoneinfo
from types import SimpleNamespace
from typing import Any, Callable

_ZONE_NAME = _re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
_MAX_PATTERN = 10_000  # characters; longer regular expressions are refused


class Vetted:
    """A function handed to scripts: callable, with no attribute a script could walk."""

    __slots__ = ("_fn", "_name")

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self._fn = fn
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped function."""
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        """Show the function's name, as scripts see it."""
        return f"<function {self._name}>"


def namespace(name: str, functions: dict[str, Callable[..., Any]],
              constants: dict[str, Any] | None = None) -> SimpleNamespace:
    """Return a read-only (write-guarded) namespace of vetted functions and constants."""
    members: dict[str, Any] = {key: Vetted(f"{name}.{key}", fn) for key, fn in functions.items()}
    members.update(constants or {})
    return SimpleNamespace(_name=name, **members)


class Clock:
    """The instant scripts see as `dates.now()`: the session's clock, else the real one."""

    fixed: _dt.datetime | None = None

    @classmethod
    def now(cls) -> _dt.datetime:
        """Return the current instant, timezone-aware."""
        return cls.fixed or _dt.datetime.now(_dt.timezone.utc)


# --- json ------------------------------------------------------------------------------------
def _loads(text: str) -> Any:
    """Parse JSON text."""
    if not isinstance(text, str):
        raise TypeError(f"json.loads needs a text, not {type(text).__name__}")
    return _json.loads(text)


def _dumps(value: Any, indent: int | None = None, sort_keys: bool = False) -> str:
    """Serialise a value as JSON text."""
    if indent is not None and not (isinstance(indent, int) and 0 <= indent <= 8):
        raise ValueError("json.dumps: indent must be a number from 0 to 8")
    return _json.dumps(value, indent=indent, sort_keys=bool(sort_keys), ensure_ascii=False)


# --- regular expressions -------------------------------------------------------------------------
def _pattern(pattern: Any, flags: int = 0) -> _re.Pattern:
    """Compile a pattern (the `re` module caches); refuse non-text and oversized patterns."""
    if isinstance(pattern, _re.Pattern):
        return pattern
    if not isinstance(pattern, str):
        raise TypeError(f"a regular expression must be a text, not {type(pattern).__name__}")
    if len(pattern) > _MAX_PATTERN:
        raise ValueError(f"regular expressions are limited to {_MAX_PATTERN} characters")
    return _re.compile(pattern, int(flags))


def _regex(method: str) -> Callable[..., Any]:
    """Return a module-level regex function that compiles its pattern through `_pattern`."""
    def call(pattern: Any, string: str, *args: Any, flags: int = 0, **kwargs: Any) -> Any:
        """Apply the pattern method to the string."""
        return getattr(_pattern(pattern, flags), method)(string, *args, **kwargs)
    return call


_REGEX_FLAGS = {"IGNORECASE": _re.I, "I": _re.I, "MULTILINE": _re.M, "M": _re.M,
                "DOTALL": _re.S, "S": _re.S, "VERBOSE": _re.X, "X": _re.X, "ASCII": _re.A,
                "A": _re.A}


# --- dates and times -------------------------------------------------------------------------
def _zone(name: Any) -> _dt.tzinfo:
    """Return a time zone by IANA name (`Europe/Berlin`, `UTC`)."""
    if not isinstance(name, str) or not _ZONE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _tz(tz: Any) -> _dt.tzinfo | None:
    """Accept a zone name, a tzinfo or None."""
    if tz is None or isinstance(tz, _dt.tzinfo):
        return tz
    return _zone(tz)


def _now(tz: Any = None) -> _dt.datetime:
    """Return the session's current time, in a zone (UTC by default)."""
    return Clock.now().astimezone(_tz(tz) or _dt.timezone.utc)


def _today(tz: Any = None) -> _dt.date:
    """Return the session's current date in a zone (UTC by default)."""
    return _now(tz).date()


def _parse(text: str) -> _dt.date | _dt.datetime:
    """Parse an ISO 8601 date (`2026-01-05`) or date and time (`2026-01-05T10:00:00+01:00`)."""
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError("dates.parse needs an ISO 8601 text")
    if len(text) == 10:
        return _dt.date.fromisoformat(text)
    return _dt.datetime.fromisoformat(text)


def _datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
              tz: Any = None) -> _dt.datetime:
    """Return a date and time, in a zone when given."""
    return _dt.datetime(year, month, day, hour, minute, second, tzinfo=_tz(tz))


def _strptime(text: str, fmt: str) -> _dt.datetime:
    """Parse a date and time with a strftime-style format."""
    return _dt.datetime.strptime(text, fmt)


_dt.datetime.strptime("2026", "%Y")  # load `_strptime` now, not inside a limited call


# --- decimals and text -----------------------------------------------------------------------
def _decimal_of(value: Any) -> _decimal.Decimal:
    """Return a Decimal from a text, an int, a float or a Decimal."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, _decimal.Decimal)):
        raise TypeError(f"Decimal needs a text or a number, not {type(value).__name__}")
    return _decimal.Decimal(value)


def _normalize(text: str, form: str = "NFKC") -> str:
    """Return the Unicode normal form of a text."""
    return unicodedata.normalize(form, text)


def _digits(text: str) -> str:
    """Return only the digits of a text (`+49 (30) 123` -> `4930123`)."""
    return "".join(ch for ch in str(text) if ch.isdecimal())


def _mask(text: str, keep: int = 4, char: str = "*") -> str:
    """Mask all but the last `keep` characters (`4111111111111111` -> `************1111`)."""
    text, keep = str(text), max(0, int(keep))
    shown = text[-keep:] if keep else ""
    return str(char)[:1] * (len(text) - len(shown)) + shown


def _truncate(text: str, length: int, suffix: str = "…") -> str:
    """Shorten a text to at most `length` characters, ending with `suffix` when cut."""
    text, length = str(text), max(0, int(length))
    return text if len(text) <= length else text[:max(0, length - len(suffix))] + suffix


class OutputLimit(BaseException):
    """A script printed more than it may; BaseException so `except Exception` cannot keep it."""


class Output:
    """What one call printed, up to `limit` characters."""

    __slots__ = ("parts", "size", "limit", "overflowed")

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.overflowed = False

    def write(self, text: str) -> None:
        """Keep text up to the limit; past it, stop the script."""
        room = self.limit - self.size
        if len(text) > room:
            self.parts.append(text[:max(room, 0)])
            self.size = self.limit
            self.overflowed = True
            raise OutputLimit()
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        """Return everything printed so far."""
        return "".join(self.parts)


class Printer:
    """What RestrictedPython's `print` and `printed` call inside one scope."""

    __slots__ = ("_output",)

    def __init__(self, output: Output) -> None:
        self._output = output

    def _call_print(self, *objects: Any, sep: str | None = " ", end: str | None = "\n",
                    file: Any = None, flush: bool = False) -> None:
        """Print into the call's output (never to a file)."""
        if file is not None:
            raise TypeError("print(file=...) is not available in scripts")
        print(*objects, sep=sep, end=end, file=self._output)

    def __call__(self) -> str:
        """Return what was printed (RestrictedPython's `printed`)."""
        return self._output.text()


RNG = _random.Random()


def reseed() -> None:
    """Give this process its own random sequence (forked workers share their parent's)."""
    RNG.seed()


def build_library() -> dict[str, SimpleNamespace]:
    """Return the namespaces scripts see by name: json, math, re, dates, decimal, random, text."""
    math_names = ("sqrt", "floor", "ceil", "trunc", "fabs", "exp", "log", "log10", "log2", "pow",
                  "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "hypot", "degrees",
                  "radians", "isclose", "isfinite", "isinf", "isnan", "gcd", "fsum", "prod",
                  "comb", "perm", "factorial", "copysign", "fmod", "modf", "dist")
    return {
        "json": namespace("json", {"loads": _loads, "dumps": _dumps}),
        "math": namespace("math", {name: getattr(_math, name) for name in math_names},
                          {"pi": _math.pi, "e": _math.e, "tau": _math.tau, "inf": _math.inf,
                           "nan": _math.nan}),
        "re": namespace("re", {**{name: _regex(name) for name in
                                  ("search", "match", "fullmatch", "findall", "finditer", "sub",
                                   "subn", "split")},
                               "compile": _pattern, "escape": _re.escape},
                        {name: int(flag) for name, flag in _REGEX_FLAGS.items()}),
        "dates": namespace("dates", {"now": _now, "today": _today, "parse": _parse,
                                     "datetime": _datetime, "date": _dt.date, "time": _dt.time,
                                     "timedelta": _dt.timedelta, "zone": _zone,
                                     "strptime": _strptime}),
        "decimal": namespace("decimal", {"Decimal": _decimal_of},
                             {name: getattr(_decimal, name) for name in dir(_decimal)
                              if name.startswith("ROUND_")}),
        "random": namespace("random", {name: getattr(RNG, name) for name in
                                       ("random", "randint", "randrange", "uniform", "choice",
                                        "shuffle", "sample")}),
        "text": namespace("text", {"normalize": _normalize, "digits": _digits, "mask": _mask,
                                   "truncate": _truncate}),
    }


def _names(*groups: str) -> frozenset[str]:
    """Return a set of attribute names from space-separated groups."""
    return frozenset(name for group in groups for name in group.split())


_STR = _names("capitalize casefold center count endswith expandtabs find index isalnum isalpha",
              "isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace",
              "istitle isupper join ljust lower lstrip partition removeprefix removesuffix",
              "replace rfind rindex rjust rpartition rsplit rstrip split splitlines startswith",
              "strip swapcase title translate upper zfill")  # no format, format_map, encode
_NUMBER = _names("real imag conjugate")
_INT = _NUMBER | _names("bit_length bit_count numerator denominator as_integer_ratio")
_FROZENSET = _names("copy difference intersection isdisjoint issubset issuperset "
                    "symmetric_difference union")
_DATE = _names("year month day weekday isoweekday isocalendar isoformat strftime replace",
               "toordinal ctime")
_TIME = _names("hour minute second microsecond tzinfo fold isoformat strftime replace utcoffset",
               "tzname dst")

# What a script may read, by exact type; any type not listed has no readable attribute.
ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _STR,
    int: _INT,
    bool: _INT,
    float: _NUMBER | _names("is_integer as_integer_ratio"),
    complex: _NUMBER,
    list: _names("append clear copy count extend index insert pop remove reverse sort"),
    tuple: _names("count index"),
    dict: _names("clear copy get items keys pop popitem setdefault update values"),
    set: _FROZENSET | _names("add clear discard pop remove update difference_update "
                             "intersection_update symmetric_difference_update"),
    frozenset: _FROZENSET,
    _dt.date: _DATE,
    _dt.datetime: _DATE | _TIME | _names("date time timetz astimezone timestamp"),
    _dt.time: _TIME,
    _dt.timedelta: _names("days seconds microseconds total_seconds"),
    _dt.timezone: _names("utcoffset tzname"),
    zoneinfo.ZoneInfo: _names("key"),
    type(_dt.date(2026, 1, 1).isocalendar()): _names("year week weekday"),
    _decimal.Decimal: _names("adjusted as_integer_ratio compare copy_abs copy_negate copy_sign",
                             "exp is_finite is_infinite is_nan is_signed is_zero ln log10 max min",
                             "normalize quantize real imag scaleb sqrt to_eng_string",
                             "to_integral_value"),
    _re.Pattern: _names("search match fullmatch findall finditer sub subn split pattern flags",
                        "groups"),
    _re.Match: _names("group groups groupdict start end span string pos endpos lastindex",
                      "lastgroup"),
}
EXCEPTION_ATTRIBUTES = _names("args")
