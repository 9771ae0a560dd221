"""The script sandbox policy: RestrictedPython compilation, guards and what scripts may see.

The only module that imports RestrictedPython. It compiles and runs code in the current process
and enforces no resource limits itself: `runtime.sandbox.pool` runs it in worker processes with
CPU, memory, wall-clock and output limits. The server process uses it only for `check()`.

Layers: the compiler refuses underscore names and attributes, imports, classes, async code and
the builtins that open doors (`open`, `getattr`, `type`...); at run time every attribute read
goes through `ATTRIBUTES` (an allowlist per type), writes only reach dicts and lists, and the
names a script sees are JSON-able copies of its data, safe builtins and vetted functions.
"""

from __future__ import annotations

import ast
import copy
import json
import operator
import re
import sys
from functools import lru_cache
from types import CodeType, SimpleNamespace
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_function
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from .library import (ATTRIBUTES, EXCEPTION_ATTRIBUTES, Output, OutputLimit, Printer, Vetted,
                      build_library)

MAX_SOURCE = 100_000  # characters of code or expression
MAX_EXIT = 100  # characters of an exit name
SCRIPT_FILE, EXPRESSION_FILE = "<script>", "<expr>"
UNAVAILABLE = frozenset(("open", "eval", "exec", "compile", "globals", "locals", "getattr",
                         "setattr", "delattr", "hasattr", "dir", "type", "object", "super",
                         "breakpoint", "memoryview", "bytearray", "classmethod", "staticmethod",
                         "property", "help", "exit", "quit", "format"))
_LINE = re.compile(r"Line (\d+|None): (.*)", re.S)
_BUILTIN_NAMES = ("abs all any bin bool callable chr dict divmod enumerate filter float "
                  "frozenset hash hex int isinstance issubclass iter len list map max min next "
                  "oct ord pow range repr reversed round set slice sorted str sum tuple zip "
                  "ArithmeticError AssertionError AttributeError Exception IndexError KeyError "
                  "LookupError NameError NotImplementedError OverflowError RuntimeError "
                  "StopIteration TypeError UnicodeError ValueError ZeroDivisionError").split()


class ScriptProblem(Exception):
    """A script could not run or failed; `kind` is compile, error, result, output or memory."""

    def __init__(self, kind: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.line = line


# --- compilation -----------------------------------------------------------------------------
def _bound_names(tree: ast.AST) -> set[str]:
    """Return every name the code binds (assignments, arguments, defs, except ... as)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ExceptHandler)) and node.name:
            names.add(node.name)
    return names


def _simple(node: ast.AST) -> bool:
    """Return True for a subscript target made of names and constants only (no side effects)."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    return isinstance(node, ast.Subscript) and _simple(node.value) and _simple(node.slice)


def _hook(node: ast.AST) -> ast.Expr:
    """Return the statement `_caught_()`, placed where exceptions could be swallowed."""
    call = ast.Expr(ast.Call(func=ast.Name("_caught_", ast.Load()), args=[], keywords=[]))
    copy_locations(call, node)
    return call


class ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened for flow scripts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bound: set[str] = set()

    def visit_Module(self, node: ast.Module) -> ast.AST:
        """Note the names the code binds, then check the module."""
        self._bound = _bound_names(node)
        return super().visit_Module(node)

    def visit_Expression(self, node: ast.Expression) -> ast.AST:
        """Note the names the expression binds, then check it."""
        self._bound = _bound_names(node)
        return super().visit_Expression(node)

    def visit_Import(self, node: ast.AST) -> None:
        """Refuse imports: scripts use the functions already given to them."""
        self.error(node, "imports are not allowed in scripts; use the names already there: "
                         "json, math, re, dates, decimal, random, text")

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Refuse class definitions (metaclass and type tricks)."""
        self.error(node, "classes cannot be defined in scripts; use dicts and functions")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        """Refuse builtins that open doors, unless the script defines that name itself."""
        if isinstance(node.ctx, ast.Load) and node.id in UNAVAILABLE and node.id not in self._bound:
            self.error(node, f"`{node.id}` is not available in scripts")
        return super().visit_Name(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        """Allow `vars['n'] += 1` by rewriting it as `vars['n'] = vars['n'] + 1`."""
        target = node.target
        if isinstance(target, ast.Subscript) and _simple(target):
            load = copy.deepcopy(target)  # its own nodes: the policy rewrites nodes in place
            load.ctx = ast.Load()
            assign = ast.Assign(targets=[target], value=ast.BinOp(load, node.op, node.value))
            copy_locations(assign, node)
            return self.visit(assign)
        return super().visit_AugAssign(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        """Let no handler keep a limit's exception (memory, output)."""
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _hook(node))
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        """Let no `finally` swallow a limit's exception with `return` or `break`."""
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, _hook(node.finalbody[0]))
        return node


def _problems(errors: Any) -> list[tuple[int, str]]:
    """Turn RestrictedPython's `Line N: message` texts into (line, message)."""
    found = []
    for error in errors:
        match = _LINE.match(error)
        if match:
            line = match.group(1)
            found.append((int(line) if line.isdigit() else 1, match.group(2).strip()))
        else:
            found.append((1, error))
    return sorted(found, key=lambda problem: problem[0])


@lru_cache(maxsize=512)
def compiled(kind: str, source: str) -> tuple[CodeType | None, tuple[tuple[int, str], ...]]:
    """Compile a script (`kind` "script") or an expression once; return (code, problems)."""
    if not isinstance(source, str) or not source.strip():
        return None, ((1, "there is no code" if kind == "script" else "there is no expression"),)
    if len(source) > MAX_SOURCE:
        return None, ((1, f"the code is longer than {MAX_SOURCE} characters"),)
    try:
        if kind == "script":
            result = compile_restricted_function("", source, "script", SCRIPT_FILE,
                                                 policy=ScriptPolicy)
        else:
            result = compile_restricted_eval(source.strip(), EXPRESSION_FILE, policy=ScriptPolicy)
    except (RecursionError, MemoryError):
        return None, ((1, "the code is nested too deeply"),)
    except (SyntaxError, ValueError) as exc:  # null bytes, compiler limits
        return None, ((getattr(exc, "lineno", None) or 1, str(exc)),)
    return (result.code, ()) if not result.errors else (None, tuple(_problems(result.errors)))


def check(code: str) -> list[tuple[int, str]]:
    """Return (line, message) for every reason script code cannot run; [] when it can."""
    return list(compiled("script", code)[1])


def check_expression(expression: str) -> list[tuple[int, str]]:
    """Return (line, message) for every reason an `expr` condition cannot run."""
    return list(compiled("expression", expression)[1])


# --- guards: what compiled code calls for attribute, item and iteration access ----------------
def _kind(obj: Any) -> str:
    """Name a value's kind for messages (a namespace by its own name)."""
    if type(obj) is SimpleNamespace:
        return obj.__dict__.get("_name", "namespace")
    return "function" if type(obj) is Vetted else type(obj).__name__


def _getattr(obj: Any, name: str) -> Any:
    """Read an attribute the allowlist gives for this type; refuse everything else."""
    if type(name) is str and not name.startswith("_"):
        kind = type(obj)
        allowed = ATTRIBUTES.get(kind)
        if allowed is None:
            if kind is SimpleNamespace:
                allowed = obj.__dict__
            elif isinstance(obj, BaseException):
                allowed = EXCEPTION_ATTRIBUTES
        if allowed is not None and name in allowed:
            return getattr(obj, name)
    raise AttributeError(f"{_kind(obj)} has no attribute {name!r} that scripts may use")


def _write(obj: Any) -> Any:
    """Let item assignment and deletion reach dicts and lists only."""
    if type(obj) is dict or type(obj) is list:
        return obj
    raise TypeError(f"scripts cannot change a {_kind(obj)}")


_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul,
            "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
            "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
            "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand,
            "@=": operator.imatmul}


def _inplace(op: str, target: Any, value: Any) -> Any:
    """Apply an augmented assignment (`n += 1`)."""
    return _INPLACE[op](target, value)


def _apply(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call with star-arguments (`f(*args, **kwargs)`)."""
    return function(*args, **kwargs)


# C code called straight from a script frame imports through that frame's `__builtins__`
# (datetime.strftime needs `time`, Pattern.sub with a template `re`). This `__import__` lets those
# through and nothing else; scripts cannot name it, and what it returns is discarded by
# PyImport_Import, which reads the module from sys.modules itself.
_C_IMPORTS = frozenset(("time", "_strptime", "re"))


def _c_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
              level: int = 0) -> None:
    """Allow the imports C helpers make; refuse every other."""
    if level != 0 or name not in _C_IMPORTS or name not in sys.modules:
        raise ImportError("imports are not allowed in scripts")


def _caught() -> None:
    """Re-raise a limit's exception wherever a script tries to handle it."""
    exc = sys.exc_info()[1]
    if isinstance(exc, (MemoryError, RecursionError, OutputLimit)):
        raise exc


def _printer_factory(output: Output) -> Vetted:
    """Return the `_print_` global: makes each scope's printer, all writing to one Output."""
    return Vetted("print", lambda _getattr_=None: Printer(output))


def _base_globals() -> dict[str, Any]:
    """Return the globals every script shares: builtins, guards and the vetted library."""
    import builtins
    return {
        "__builtins__": {**{name: getattr(builtins, name) for name in _BUILTIN_NAMES},
                         "__import__": Vetted("import", _c_import)},
        "_getattr_": Vetted("getattr", _getattr),
        "_getitem_": operator.getitem,
        "_write_": Vetted("write", _write),
        "_getiter_": iter,
        "_iter_unpack_sequence_": Vetted("unpack", guarded_iter_unpack_sequence),
        "_unpack_sequence_": Vetted("unpack", guarded_unpack_sequence),
        "_inplacevar_": Vetted("inplace", _inplace),
        "_apply_": Vetted("apply", _apply),
        "_caught_": Vetted("caught", _caught),
        **build_library(),
    }


_BASE = _base_globals()


def script_globals(data: dict[str, Any], output: Output) -> dict[str, Any]:
    """Return the globals of one call: the shared base, a printer and the call's data."""
    scope = dict(_BASE)
    scope["_print_"] = _printer_factory(output)
    scope.update(data)
    return scope


# --- running ---------------------------------------------------------------------------------
def _code(kind: str, source: str) -> CodeType:
    """Return compiled code or raise ScriptProblem with the first compile problem."""
    code, problems = compiled(kind, source)
    if code is None:
        text = "; ".join(f"line {line}: {message}" for line, message in problems)
        raise ScriptProblem("compile", text, problems[0][0])
    return code


def _line(exc: BaseException) -> int | None:
    """Return the script line an exception came from (the innermost script frame)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in (SCRIPT_FILE, EXPRESSION_FILE):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _failure(exc: Exception) -> ScriptProblem:
    """Describe an exception the script raised, with its line."""
    line = _line(exc)
    where = f"line {line}: " if line else ""
    return ScriptProblem("error", f"{where}{type(exc).__name__}: {exc}", line)


def _execute(kind: str, source: str, data: dict[str, Any], output: Output) -> tuple[Any, dict]:
    """Run code with the data as globals; return (its value, its globals)."""
    code = _code(kind, source)
    scope = script_globals(data, output)
    try:
        if kind == "script":
            exec(code, scope)
            value = scope["script"]()
        else:
            value = eval(code, scope)
    except OutputLimit:
        value = None
    except MemoryError:
        raise ScriptProblem("memory", "the script ran out of memory") from None
    except Exception as exc:
        raise _failure(exc) from None
    if output.overflowed:
        raise ScriptProblem("output", f"the script printed more than {output.limit} characters")
    return value, scope


def _json_text(value: Any, what: str, strict: bool = True) -> str:
    """Return a value as JSON text, or raise ScriptProblem naming what holds it (NaN if strict)."""
    try:
        return json.dumps(value, allow_nan=not strict, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ScriptProblem("result", f"{what} cannot be stored: {exc}; use texts, numbers, "
                                      f"true/false, null, lists and dicts") from None
    except RecursionError:
        raise ScriptProblem("result", f"{what} is nested too deeply") from None


def run_script(source: str, vars: dict, contact: dict, input: Any, *,
               max_output: int = 65_536) -> dict[str, Any]:
    """Run script code; return {exit, vars (changed top-level keys; null when deleted), output}."""
    # as they came (parsed from JSON, so they serialise; a NaN already there is not the script's)
    before = {key: json.dumps(value, ensure_ascii=False) for key, value in vars.items()}
    output = Output(max_output)
    exit_name, scope = _execute("script", source, {"vars": vars, "contact": contact,
                                                   "input": input}, output)
    if exit_name is not None and (type(exit_name) is not str or not exit_name
                                  or len(exit_name) > MAX_EXIT):
        raise ScriptProblem("result", f"a script returns an exit name (a text) or nothing, "
                                      f"not {_kind(exit_name)} {exit_name!r:.40}")
    after = scope["vars"]
    if type(after) is not dict:
        raise ScriptProblem("result", "`vars` must stay a dict")
    changed: dict[str, Any] = {}
    for key, value in after.items():
        if type(key) is not str:
            raise ScriptProblem("result", f"variable names are texts, not {_kind(key)} {key!r:.40}")
        if key not in before or _json_text(value, f"vars[{key!r}]", strict=False) != before[key]:
            _json_text(value, f"vars[{key!r}]")
            changed[key] = value
    changed.update((key, None) for key in before if key not in after)
    return {"exit": exit_name, "vars": changed, "output": output.text()}


def evaluate(expression: str, scope: dict[str, Any], *, max_output: int = 65_536) -> Any:
    """Evaluate an expression (an `expr` condition) with the scope's names; return its value."""
    value, _ = _execute("expression", expression, scope, Output(max_output))
    _json_text(value, "the expression's value")
    return value
