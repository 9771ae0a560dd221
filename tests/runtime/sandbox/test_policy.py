"""The sandbox policy: a corpus of escape and abuse attempts, each blocked or stopped, and how.

Every row runs through a real script pool (worker processes with the real limits) and states
what must happen: a compile error naming the reason, a run-time error from a guard, a result
that cannot be stored, or the limit that stops it.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
from packaging.version import Version

from runtime.sandbox import policy as sandbox
from runtime.sandbox.pool import Limits, ScriptError, ScriptPool

CPU = ("cpu",)


@pytest.fixture(scope="module")
def pool():
    """A pool with a short CPU limit so the runaway rows stop quickly."""
    pool = ScriptPool(workers=2, limits=Limits(cpu_ms=300, memory_mb=64, max_output=10_000,
                                               max_result=200_000))
    yield pool
    pool.close()


# (id, code, kind, what must be said: a fragment of the message, or the limits that may stop it)
CORPUS = [
    # attribute walks to __subclasses__ and friends
    ("subclasses-walk", "().__class__.__bases__[0].__subclasses__()", "compile",
     '"__class__" is an invalid attribute name'),
    ("mro-walk", "x = ''.__class__.__mro__", "compile", '"__class__" is an invalid attribute name'),
    ("dunder-on-vars", "vars.__class__", "compile", "invalid attribute name"),
    ("function-globals", "f = lambda: 0\nf.__globals__", "compile", '"__globals__" is an invalid'),
    ("function-code", "f = lambda: 0\nf.__code__", "compile", '"__code__" is an invalid'),
    ("bound-self", "vars.get.__self__", "compile", '"__self__" is an invalid'),
    ("fullwidth-open", "ｏｐｅｎ('/etc/passwd')", "compile", "`open` is not available"),
    ("fullwidth-attribute", "g = (x for x in [1])\ng.ｇｉ_ｆｒａｍｅ", "compile",
     '"gi_frame" is a restricted name'),
    ("builtins-name", "__builtins__['open']", "compile", '"__builtins__" is an invalid variable'),
    ("guard-name", "_getattr_(vars, 'x')", "compile", '"_getattr_" is an invalid variable'),
    ("namespace-private", "json._name", "compile", '"_name" is an invalid attribute name'),
    ("type-attribute", "str.maketrans", "error", "type has no attribute 'maketrans'"),
    ("dict-view-mapping", "vars.keys().mapping", "error", "no attribute 'mapping'"),
    # generator and coroutine frames
    ("generator-frame", "g = (x for x in [1])\ng.gi_frame.f_globals", "compile",
     '"gi_frame" is a restricted name'),
    ("generator-code", "def g():\n    yield 1\ng().gi_code", "compile",
     '"gi_code" is a restricted name'),
    ("generator-running", "g = (x for x in [1])\ng.gi_running", "error",
     "generator has no attribute 'gi_running'"),
    ("generator-send", "g = (x for x in [1])\ng.send(None)", "error", "no attribute 'send'"),
    ("coroutine", "async def c():\n    pass\nc().cr_frame", "compile",
     "AsyncFunctionDef statements are not allowed"),
    ("await", "async def c():\n    await c()", "compile", "not allowed"),
    ("top-level-yield", "yield 1", "result", "not generator"),
    # str.format and friends
    ("str-format", "'{0.__class__}'.format(1)", "error", "str has no attribute 'format'"),
    ("str-format-map", "'{x.__class__}'.format_map({'x': 1})", "error", "no attribute 'format_map'"),
    ("str-type-format", "str.format('{0.__class__}', 1)", "error", "type has no attribute 'format'"),
    ("format-builtin", "format(1, 'x')", "compile", "`format` is not available"),
    ("f-string-dunder", "f'{vars.__class__}'", "compile", '"__class__" is an invalid'),
    # getattr with computed names, and the other reflection builtins
    ("getattr-computed", "getattr(vars, '__cl' + 'ass__')", "compile", "`getattr` is not available"),
    ("setattr", "setattr(json, 'loads', None)", "compile", "`setattr` is not available"),
    ("hasattr", "hasattr(vars, 'x')", "compile", "`hasattr` is not available"),
    ("globals", "globals()['__builtins__']", "compile", "`globals` is not available"),
    ("locals", "locals()", "compile", "`locals` is not available"),
    ("dir", "dir(json)", "compile", "`dir` is not available"),
    ("eval", "eval('1')", "compile", "Eval calls are not allowed"),
    ("exec", "exec('x = 1')", "compile", "Exec calls are not allowed"),
    ("compile", "compile('1', 'x', 'eval')", "compile", "`compile` is not available"),
    ("breakpoint", "breakpoint()", "compile", "is not available"),
    # exceptions' tracebacks
    ("traceback", "try:\n    1/0\nexcept Exception as e:\n    e.__traceback__", "compile",
     '"__traceback__" is an invalid'),
    ("with-traceback", "try:\n    1/0\nexcept Exception as e:\n    e.with_traceback(None)",
     "error", "ZeroDivisionError has no attribute 'with_traceback'"),
    ("exception-frame", "try:\n    1/0\nexcept Exception as e:\n    e.tb_frame", "compile",
     '"tb_frame" is a restricted name'),
    ("exception-args-only", "try:\n    json.loads('{')\nexcept Exception as e:\n    e.doc",
     "error", "JSONDecodeError has no attribute 'doc'"),
    ("except-star", "try:\n    pass\nexcept* ValueError:\n    pass", "compile", "not allowed"),
    ("sys-exc-info", "sys.exc_info()", "error", "NameError: name 'sys' is not defined"),
    # type() and metaclass tricks
    ("type-call", "type('X', (), {})", "compile", "`type` is not available"),
    ("class-def", "class A:\n    pass", "compile", "classes cannot be defined"),
    ("metaclass", "class M(type):\n    pass\nclass A(metaclass=M):\n    pass", "compile",
     "classes cannot be defined"),
    ("object-subclasses", "object.__subclasses__()", "compile", "is not available"),
    ("super", "super()", "compile", "`super` is not available"),
    ("match-class-pattern", "match vars:\n    case dict(items=i):\n        pass", "compile",
     "Match statements are not allowed"),
    # import by any route, files, modules
    ("import", "import os", "compile", "imports are not allowed"),
    ("from-import", "from os import system", "compile", "imports are not allowed"),
    ("dunder-import", "__import__('os')", "compile", '"__import__" is an invalid variable'),
    ("datetime-sys", "datetime.sys.modules['os']", "error", "name 'datetime' is not defined"),
    ("dates-sys", "dates.sys.modules['os']", "error", "dates has no attribute 'sys'"),
    ("re-enum-sys", "re.enum.sys", "error", "re has no attribute 'enum'"),
    ("json-codecs-open", "json.codecs.open('/etc/passwd')", "error", "json has no attribute 'codecs'"),
    ("vetted-function-attribute", "dates.date.today()", "error", "function has no attribute 'today'"),
    ("open", "open('/etc/passwd').read()", "compile", "`open` is not available"),
    ("print-to-file", "print('x', file=vars)", "error", "print(file=...) is not available"),
    ("fork", "os.fork()", "error", "name 'os' is not defined"),
    ("fork-import", "import os\nos.fork()", "compile", "imports are not allowed"),
    # changing what every script shares
    ("namespace-write", "json.loads = None", "error", "scripts cannot change a json"),
    ("constant-write", "math.pi = 3", "error", "scripts cannot change a math"),
    ("namespace-delete", "del json.loads", "error", "scripts cannot change a json"),
    ("nonlocal", "def f():\n    nonlocal x", "compile", "not allowed"),
    # what may leave the sandbox
    ("store-namespace", "vars['x'] = json", "result", "vars['x'] cannot be stored"),
    ("store-function", "vars['f'] = lambda: 1", "result", "vars['f'] cannot be stored"),
    ("store-datetime", "vars['d'] = dates.now()", "result", "vars['d'] cannot be stored"),
    ("store-nan", "vars['n'] = math.nan", "result", "cannot be stored"),
    ("store-deep-nesting", "x = []\nfor i in range(100000):\n    x = [x]\nvars['x'] = x", "result",
     "vars['x'] is nested too deeply"),
    ("return-object", "return dates.now", "result", "returns an exit name (a text) or nothing"),
    # infinite loops, deep recursion, memory bombs, huge strings, long output
    ("infinite-loop", "while True:\n    pass", "limit", CPU),
    ("infinite-iter", "for x in iter(int, 1):\n    pass", "limit", CPU),
    ("loop-that-catches", "while True:\n    try:\n        while True:\n            pass\n"
                          "    except:\n        pass", "limit", CPU),
    ("regex-backtracking", "re.match('(a+)+$', 'a' * 64 + 'b')", "limit", CPU),
    ("bigint-power", "x = 10 ** (10 ** 9)", "limit", CPU),
    ("deep-recursion", "def f(n):\n    return f(n + 1)\nf(0)", "error", "RecursionError"),
    ("recursion-caught", "def f(n):\n    return f(n + 1)\ntry:\n    f(0)\nexcept Exception:\n"
                         "    return 'next'", "error", "RecursionError"),
    ("memory-string", "x = 'a' * 10 ** 9", "limit", ("memory",)),
    ("memory-list", "x = [0] * 10 ** 9", "limit", ("memory",)),
    ("memory-growth", "x = []\nwhile True:\n    x.append('x' * 10 ** 6)", "limit", ("memory",)),
    ("memory-caught", "try:\n    x = 'a' * 10 ** 9\nexcept Exception:\n    pass\nreturn 'next'",
     "limit", ("memory",)),
    ("memory-finally-return", "try:\n    x = 'a' * 10 ** 9\nfinally:\n    return 'next'",
     "limit", ("memory",)),
    ("huge-ljust", "x = 'x'.ljust(10 ** 9)", "limit", ("memory",)),
    ("huge-int-text", "int('9' * 10 ** 6)", "error", "ValueError"),
    ("long-output", "while True:\n    print('x' * 1000)", "limit", ("output",)),
    ("one-huge-print", "print('x' * 10 ** 6)", "limit", ("output",)),
    ("output-caught", "try:\n    print('x' * 10 ** 6)\nexcept:\n    pass\nreturn 'next'", "limit",
     ("output",)),
    ("huge-result", "vars['big'] = 'x' * 300000", "limit", ("output",)),
]


@pytest.mark.parametrize("code, kind, expected", [row[1:] for row in CORPUS],
                         ids=[row[0] for row in CORPUS])
def test_every_escape_or_abuse_attempt_is_blocked_or_stopped(pool, code, kind, expected):
    with pytest.raises(ScriptError) as caught:
        pool.run(code, vars={"n": 1}, contact={"from": "+4930123"}, input={"text": "hi"},
                 timeout_ms=10_000)
    error = caught.value
    assert error.kind == kind, str(error)
    if kind == "limit":
        assert error.limit in expected, str(error)
    else:
        assert expected in str(error)


def test_the_corpus_has_at_least_forty_attempts_with_distinct_names():
    names = [row[0] for row in CORPUS]
    assert len(names) >= 40 and len(set(names)) == len(names)


def test_a_limit_message_says_which_limit_was_hit(pool):
    with pytest.raises(ScriptError, match=r"stopped by the memory limit \(64 MiB\)"):
        pool.run("x = 'a' * 10 ** 9", {}, {})
    with pytest.raises(ScriptError, match=r"stopped by the CPU time limit \(300 ms\)"):
        pool.run("while True:\n    pass", {}, {}, timeout_ms=10_000)
    with pytest.raises(ScriptError, match=r"stopped by the output limit"):
        pool.run("print('x' * 20000)", {}, {})


def test_calls_share_no_state_through_globals(pool):
    pool.warm()
    for _ in range(4):  # enough calls to reach both workers
        pool.run("global leaked\nleaked = 1", {}, {})
    with pytest.raises(ScriptError, match="name 'leaked' is not defined"):
        pool.run("return leaked", {}, {})


def test_a_script_cannot_change_the_callers_data_except_through_the_result(pool):
    vars, contact = {"n": 1, "items": [1]}, {"from": "+4930123"}
    result = pool.run("vars['n'] = 2\nvars['items'].append(2)\ncontact['from'] = 'x'", vars, contact)
    assert vars == {"n": 1, "items": [1]} and contact == {"from": "+4930123"}
    assert result["vars"] == {"n": 2, "items": [1, 2]}


def test_the_pool_still_runs_scripts_after_the_whole_corpus(pool):
    result = pool.run("vars['n'] += 1\nreturn 'done'", {"n": 41}, {})
    assert result == {"exit": "done", "vars": {"n": 42}, "output": ""}


def test_what_scripts_may_use_works(pool):
    code = "\n".join([
        "vars['total'] = sum(item['price'] for item in input['items'])",
        "vars['digits'] = text.digits(contact['from'])",
        "vars['masked'] = text.mask('4111111111111111')",
        "vars['match'] = re.search(r'(\\d+)-(\\d+)', 'call 030-1234').group(2)",
        "vars['parsed'] = json.loads('{\"a\": [1, 2]}')['a']",
        "vars['root'] = math.sqrt(16)",
        "vars['money'] = str(decimal.Decimal('1.10') + decimal.Decimal('2.205'))",
        "vars['when'] = dates.now('Europe/Berlin').isoformat()",
        "vars['weekday'] = dates.parse('2026-01-05').isoweekday()",
        "vars['pick'] = random.choice(['a'])",
        "vars['pairs'] = sorted((k, v) for k, v in {'b': 2, 'a': 1}.items())",
        "vars['n'] += 1",
        "print('total', vars['total'])",
        "return 'priced'",
    ])
    from datetime import datetime, timezone
    now = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
    result = pool.run(code, {"n": 1}, {"from": "+49 (30) 123"},
                      {"items": [{"price": 2}, {"price": 3}]}, now=now)
    assert result["exit"] == "priced" and result["output"] == "total 5\n"
    assert result["vars"] == {"total": 5, "digits": "4930123", "masked": "************1111",
                              "match": "1234", "parsed": [1, 2], "root": 4.0, "money": "3.305",
                              "when": "2026-01-05T10:30:00+01:00", "weekday": 1, "pick": "a",
                              "pairs": [["a", 1], ["b", 2]], "n": 2}


def test_c_helpers_that_import_lazily_work_from_script_code(pool):
    code = "\n".join([
        "d = dates.datetime(2026, 1, 5, 9, 30)",
        "vars['a'] = d.strftime('%H:%M')",
        "vars['b'] = f'{d:%d.%m.%Y}'",
        "vars['c'] = re.compile(r'(\\w+)@(\\w+)').sub(r'\\2 at \\1', 'ada@home')",
        "vars['d'] = dates.strptime('05.01.2026', '%d.%m.%Y').isoformat()",
    ])
    assert pool.run(code, {}, {})["vars"] == {"a": "09:30", "b": "05.01.2026", "c": "home at ada",
                                              "d": "2026-01-05T00:00:00"}


def test_the_import_hook_c_helpers_use_refuses_every_other_module():
    hook = sandbox.script_globals({}, sandbox.Output(10))["__builtins__"]["__import__"]
    assert hook("time") is None  # PyImport_Import discards it and reads sys.modules itself
    for name in ("os", "sys", "subprocess", "importlib", "builtins"):
        with pytest.raises(ImportError):
            hook(name)
    with pytest.raises(ImportError):
        hook("time", level=1)


def test_check_reports_every_problem_with_its_line():
    code = "x = 1\nimport os\ny = vars.__class__\nopen('f')\n"
    assert sandbox.check(code) == [
        (2, "imports are not allowed in scripts; use the names already there: json, math, re, "
            "dates, decimal, random, text"),
        (3, '"__class__" is an invalid attribute name because it starts with "_".'),
        (4, "`open` is not available in scripts"),
    ]
    assert sandbox.check("x = 1\nif x\n    pass")[0][0] == 2
    assert sandbox.check("vars['n'] += 1\nreturn 'next'") == []


def test_check_survives_code_built_to_break_the_compiler():
    assert sandbox.check("x = " + "-" * 50_000 + "1") == [(1, "the code is nested too deeply")]
    assert sandbox.check("x = 1\n" * 20_000) == [(1, "the code is longer than 100000 characters")]
    assert sandbox.check("x = 1\0")[0][0] == 1
    assert sandbox.check("   ") == [(1, "there is no code")]


def test_a_builtin_name_the_script_binds_itself_is_its_own_variable():
    assert sandbox.check("type = vars['type']\nreturn type") == []
    assert sandbox.check("return type") == [(1, "`type` is not available in scripts")]


def test_check_expression_reports_problems_of_expr_conditions():
    assert sandbox.check_expression("vars['balance'] > 100") == []
    assert sandbox.check_expression("vars.__class__")[0][0] == 1
    assert sandbox.check_expression("x = 1") != []


def test_restrictedpython_is_recent_enough_to_have_no_published_escape():
    assert Version(version("RestrictedPython")) >= Version("9.0")
