"""Nothing dangerous is reachable from what a script is given.

The walk starts at the globals a script runs with (its data, the safe builtins, the guards and
the vetted namespaces), plus values the vetted functions return, and follows every step a script
could take: items of containers and every attribute the sandbox's own guard lets through. A
second walk follows every public attribute (no leading underscore, none of the frame and code
attributes the compiler refuses) with plain `getattr`, the rule of RestrictedPython's stock
guard, to show the allowlist is not the only wall. Neither may
reach a module, a frame, a code object, a traceback or a function carrying `__globals__`.
"""

from __future__ import annotations

import inspect
from collections import deque
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterator

import pytest

from runtime.sandbox import policy as sandbox
from runtime.sandbox.library import Clock

LIMIT = 200_000  # objects; the walk must finish well below this
# Refused by the compiler whatever the object (RestrictedPython's INSPECT_ATTRIBUTES).
INSPECT = frozenset("tb_frame tb_next f_back f_builtins f_code f_generator f_globals f_locals "
                    "f_trace co_code gi_frame gi_code gi_yieldfrom cr_await cr_frame cr_code "
                    "cr_origin ag_await ag_frame ag_code".split())
# Immutable values count as seen by value: `0.0.imag` is a new 0.0 on every read.
SCALARS = (int, float, complex, str, bytes, bool, type(None), Decimal)


def dangerous(obj: Any) -> str | None:
    """Say why an object must not be reachable, or None."""
    if inspect.ismodule(obj):
        return "a module"
    if inspect.isframe(obj):
        return "a frame"
    if inspect.iscode(obj):
        return "a code object"
    if inspect.istraceback(obj):
        return "a traceback"
    try:
        has_globals = getattr(obj, "__globals__", None) is not None
    except Exception:  # an object whose attribute lookup fails has none to offer
        has_globals = False
    return "a function with __globals__" if has_globals else None


def guarded_steps(obj: Any) -> Iterator[tuple[str, Any]]:
    """Yield every (name, value) the sandbox's own guard lets a script read from obj."""
    read = sandbox._BASE["_getattr_"]
    for name in _names(obj):
        try:
            yield f".{name}", read(obj, name)
        except Exception:  # refused by the guard (or the attribute does not exist)
            continue


def public_steps(obj: Any) -> Iterator[tuple[str, Any]]:
    """Yield every public attribute the compiler lets through, read with plain getattr."""
    for name in _names(obj):
        if name.startswith("_") or name in INSPECT:
            continue
        try:
            yield f".{name}", getattr(obj, name)
        except Exception:
            continue


def _names(obj: Any) -> list[str]:
    """Return the attribute names dir() lists for obj."""
    try:
        return list(dir(obj))
    except Exception:
        return []


def walk(roots: dict[str, Any], steps: Callable[[Any], Iterator[tuple[str, Any]]]) -> tuple[int, list[str]]:
    """Visit everything reachable from the roots; return (objects seen, paths to dangers)."""
    seen: set[Any] = set()
    keep: list[Any] = []  # hold every visited object so ids are not reused during the walk
    found: list[str] = []
    todo = deque(roots.items())
    while todo:
        path, obj = todo.popleft()
        key = (type(obj), repr(obj)) if type(obj) in SCALARS else id(obj)
        if key in seen:
            continue
        seen.add(key)
        keep.append(obj)
        assert len(seen) < LIMIT, "the walk did not end"
        reason = dangerous(obj)
        if reason:
            found.append(f"{path} is {reason}")
            continue
        if isinstance(obj, dict):
            todo.extend((f"{path}[{key!r}]", value) for key, value in obj.items())
            todo.extend((f"{path} key {key!r}", key) for key in obj)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            todo.extend((f"{path}[{i}]", item) for i, item in enumerate(obj))
        todo.extend((path + name, value) for name, value in steps(obj))
    return len(seen), found


@pytest.fixture
def roots() -> dict[str, Any]:
    """The globals of a real call, plus values scripts get back from the vetted functions."""
    output = sandbox.Output(1000)
    data = {"vars": {"n": 1, "items": [{"a": "b"}]}, "contact": {"from": "+4930123"},
            "input": {"text": "hi"}}
    scope = sandbox.script_globals(data, output)
    Clock.fixed = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    try:
        returned = {
            "now": scope["dates"].now("Europe/Berlin"),
            "today": scope["dates"].today(),
            "delta": scope["dates"].timedelta(days=1),
            "time": scope["dates"].time(9, 30),
            "zone": scope["dates"].zone("America/New_York"),
            "iso": scope["dates"].today().isocalendar(),
            "decimal": scope["decimal"].Decimal("1.10"),
            "pattern": scope["re"].compile("(a)(?P<b>b)"),
            "match": scope["re"].search("(a)(?P<b>b)", "xab"),
            "found": list(scope["re"].finditer("a", "aa")),
            "parsed": scope["json"].loads('{"a": [1, 2.5, null, true]}'),
            "error": _raised(lambda: scope["json"].loads("{")),
            "zero": _raised(lambda: 1 / 0),
            "generator": (x for x in [1]),
            "views": [{}.keys(), {}.values(), {}.items()],
            "iterators": [iter([]), enumerate([]), zip([]), map(str, []), filter(None, []),
                          reversed([]), range(3)],
        }
    finally:
        Clock.fixed = None
    return {"globals": scope, "builtins": scope["__builtins__"], "returned": returned}


def _raised(action: Callable[[], Any]) -> BaseException:
    """Return the exception an action raises."""
    try:
        action()
    except Exception as exc:
        exc.__traceback__ = None  # the test's own frames are not what a script could reach
        return exc
    raise AssertionError("expected an exception")


def test_the_guarded_walk_reaches_no_module_frame_code_or_globals(roots):
    count, found = walk(roots, guarded_steps)
    assert found == []
    assert count > 2000  # the walk really went through the namespaces, builtins and values


def test_the_public_attribute_walk_reaches_no_module_frame_code_or_globals(roots):
    count, found = walk(roots, public_steps)
    assert found == []
    assert count > 3000


def test_no_real_module_object_is_handed_to_scripts(roots):
    scope = roots["globals"]
    for name in ("json", "math", "re", "dates", "decimal", "random", "text"):
        assert not inspect.ismodule(scope[name])
    for attempt in ("sys", "codecs", "enum", "os", "modules", "loader", "spec"):
        for name in ("json", "math", "re", "dates", "decimal", "random", "text"):
            assert not hasattr(scope[name], attempt), f"{name}.{attempt}"


def test_the_walk_would_catch_a_leak():
    leaky = {"helper": lambda: 0, "mod": inspect}
    _, found = walk({"globals": leaky}, public_steps)
    assert "globals['helper'] is a function with __globals__" in found
    assert "globals['mod'] is a module" in found
