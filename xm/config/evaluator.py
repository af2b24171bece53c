"""Evaluate an xm config file (Python syntax) without running arbitrary code.

xm 4.4 ran config files with ``execfile``.  We parse them with :mod:`ast`
and interpret a safe subset: assignments (plain, augmented, tuple targets,
subscripts), literals, arithmetic, ``%``-formatting, comparisons, boolean
and conditional expressions, ``if``/``for`` statements, comprehensions,
small ``def`` functions (``return``, ``raise``, ``if``), calls to the
builtins and methods of :mod:`xm.config.safe_builtins`, and the ``xm_vars``
helper.  There are no imports, no access to modules, no names or
attributes starting with ``_``, and sizes, loop steps and recursion are
bounded.  Anything else is refused with a ConfigError naming the file and
line.  Python 2 habits kept: ``int / int`` divides to an int.

``allow_python=True`` (xm ``--python-config``) runs the file as real Python
instead, with the names xm pre-seeded (``sys``, ``os``, ``xm_vars`` …) -
only for trusted configs that need it.
"""

from __future__ import annotations

import ast
import operator
import os
import sys
from typing import Any, Callable

from xend.errors import ConfigError
from xm.config.safe_builtins import (MAX_SEQUENCE, SAFE_BUILTINS,
                                     ScriptError, XmVars,
                                     check_percent_format)

MAX_STEPS = 200_000  # statements+expressions; real configs use < 1000
MAX_DATA = 64 * MAX_SEQUENCE  # total length of strings/lists built
MAX_DEPTH = 50

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}
CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
    ast.Invert: operator.invert,
}


class Refused(Exception):
    """A construct the safe evaluator does not run."""


class LoopControl(Exception):
    """``break``/``continue`` unwinding to the enclosing loop."""


class FunctionReturn(Exception):
    """A ``return`` unwinding to the function call."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def evaluate(source: str | bytes, filename: str, variables: dict[str, Any],
             help_mode: bool = False, allow_python: bool = False
             ) -> tuple[dict[str, Any], list[str]]:
    """Run config *source* and return ``(namespace, help_lines)``.

    *source* may be bytes, as read from the file: then a ``coding:``
    cookie is honoured and the default is UTF-8, as for Python files.
    *variables* are the script variables from the command line (strings).
    The namespace holds what the config assigned, plus the script
    variables, minus the helpers xm injected.  ``help_lines`` is what
    ``xm_vars.check()`` produced in help mode.
    """
    try:
        tree = ast.parse(source, filename)
    except (RecursionError, MemoryError):
        raise ConfigError(f"{filename}: nested too deeply to read") \
            from None
    except ValueError as exc:  # e.g. NUL bytes in the file
        raise ConfigError(f"{filename}: {exc}") from None
    except SyntaxError as exc:
        text = (exc.text or "").strip() or exc.msg
        where = f" at line {exc.lineno}" if exc.lineno else ""
        raise ConfigError(f"Errors were found{where} while processing "
                          f"{filename}: {text}") from None
    env: dict[str, Any] = dict(variables)
    if allow_python:
        return _run_python(tree, filename, env, help_mode)
    interp = Interpreter(filename, env)
    xm_vars = XmVars(filename, help_mode, env, interp.call)
    env.update(xm_file=filename, xm_help=int(help_mode), xm_vars=xm_vars)
    try:
        interp.run(tree)
    except ConfigError:
        # in help mode xm ignored the script's errors (its variables are
        # usually unset then) and printed the help gathered so far
        if not help_mode:
            raise
    return _result(env), xm_vars.help_lines


def _result(env: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in env.items()
            if k not in ("xm_file", "xm_help", "xm_vars")
            and not k.startswith("_")
            and not callable(v) and not isinstance(v, type(os))}


def _run_python(tree: ast.Module, filename: str, env: dict[str, Any],
                help_mode: bool) -> tuple[dict[str, Any], list[str]]:
    def call(fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)
    xm_vars = XmVars(filename, help_mode, env, call)
    env.update(sys=sys, os=os, xm_file=filename, xm_help=int(help_mode),
               xm_vars=xm_vars)
    try:
        exec(compile(tree, filename, "exec"), env)
    except (Exception, SystemExit) as exc:  # the config's own: its message
        if not help_mode:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(str(exc) or type(exc).__name__) from None
    env.pop("__builtins__", None)
    return _result(env), xm_vars.help_lines


class Function:
    """A ``def`` from the config, run by the interpreter when called."""

    def __init__(self, interp: "Interpreter", node: ast.FunctionDef,
                 defaults: list[Any]) -> None:
        self.interp = interp
        self.node = node
        self.defaults = defaults

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.interp.call(self, *args, **kwargs)


class Interpreter:
    """Walks the AST of one config file."""

    def __init__(self, filename: str, env: dict[str, Any]) -> None:
        self.filename = filename
        self.globals = env
        self.scopes: list[dict[str, Any]] = []
        self.steps = 0
        self.data = 0
        self.line = 0

    # ------------------------------------------------------------ entry

    def run(self, tree: ast.Module) -> None:
        try:
            self.exec_body(tree.body)
        except Refused as exc:
            raise ConfigError(f"{self.filename}:{self.line}: {exc}") \
                from None
        except ScriptError as exc:
            if exc.explicit:  # raised by the config: xm printed the message
                raise ConfigError(str(exc) or exc.kind) from None
            raise ConfigError(f"{self.filename}:{self.line}: {exc.kind}: "
                              f"{exc}") from None
        except FunctionReturn:
            raise ConfigError(f"{self.filename}:{self.line}: 'return' "
                              "outside function") from None
        except LoopControl:
            raise ConfigError(f"{self.filename}:{self.line}: 'break' or "
                              "'continue' outside a loop") from None
        except RecursionError:
            raise ConfigError(f"{self.filename}:{self.line}: recursion too "
                              "deep") from None
        except (ArithmeticError, ValueError, TypeError, KeyError,
                IndexError, AttributeError, OverflowError) as exc:
            raise ConfigError(f"{self.filename}:{self.line}: "
                              f"{type(exc).__name__}: {exc}") from None

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call *fn*: a config Function, or a safe builtin/method."""
        if isinstance(fn, Function):
            return self._call_function(fn, list(args), kwargs)
        if callable(fn) and _is_safe_callable(fn):
            return fn(*args, **kwargs)
        raise Refused(f"calling {fn!r} is not allowed in config files")

    def _call_function(self, fn: Function, args: list[Any],
                       kwargs: dict[str, Any]) -> Any:
        spec = fn.node.args
        names = [a.arg for a in spec.args]
        if len(args) > len(names):
            raise ScriptError(f"{fn.node.name}() takes {len(names)} "
                              f"arguments ({len(args)} given)", "TypeError")
        scope: dict[str, Any] = dict(zip(names, args))
        scope.update(kwargs)
        first_default = len(names) - len(fn.defaults)
        for i, name in enumerate(names):
            if name not in scope:
                if i < first_default:
                    raise ScriptError(f"{fn.node.name}() missing argument "
                                      f"{name!r}", "TypeError")
                scope[name] = fn.defaults[i - first_default]
        if len(self.scopes) >= MAX_DEPTH:
            raise Refused("recursion too deep")
        self.scopes.append(scope)
        saved_line = self.line
        try:
            self.exec_body(fn.node.body)
        except FunctionReturn as ret:
            self.line = saved_line
            return ret.value
        except LoopControl:
            raise Refused("'break' or 'continue' outside a loop") from None
        finally:
            self.scopes.pop()
        # on an error self.line stays at the failing line of the function
        self.line = saved_line
        return None

    # ------------------------------------------------------------ names

    def lookup(self, name: str) -> Any:
        _check_name(name)
        if self.scopes and name in self.scopes[-1]:
            return self.scopes[-1][name]
        if name in self.globals:
            return self.globals[name]
        if name in SAFE_BUILTINS:
            return SAFE_BUILTINS[name]
        raise ScriptError(f"name '{name}' is not defined", "NameError")

    def store(self, name: str, value: Any) -> None:
        _check_name(name)
        scope = self.scopes[-1] if self.scopes else self.globals
        scope[name] = value

    # ------------------------------------------------------------ statements

    def exec_body(self, body: list[ast.stmt]) -> None:
        from xm.config.statements import exec_statement
        for stmt in body:
            self.line = stmt.lineno
            self.tick()
            exec_statement(self, stmt)

    def charge(self, value: Any) -> Any:
        """Count a newly built string/list against the data budget."""
        if isinstance(value, (str, bytes, list, tuple, dict, set)):
            self.data += len(value)
            if self.data > MAX_DATA:
                raise Refused("the config builds too much data")
        return value

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Refused("the config runs too long")

    # ------------------------------------------------------------ expressions

    def eval(self, node: ast.expr) -> Any:
        from xm.config.expressions import eval_expression
        self.tick()
        try:
            return eval_expression(self, node)
        except (ValueError, TypeError, KeyError, IndexError,
                ArithmeticError) as exc:
            # a builtin or operator failed: make it catchable by the
            # config's own try/except, like the Python exception it is
            raise ScriptError(str(exc), type(exc).__name__) from None


def _check_name(name: str) -> None:
    if name.startswith("_"):
        raise Refused(f"the name {name!r} is not allowed in config files")


def _is_safe_callable(fn: Any) -> bool:
    # Only what the evaluator handed out: builtins from the table, bound
    # methods it vetted, and exception constructors.
    return (any(fn is v for v in SAFE_BUILTINS.values())
            or getattr(fn, "_xm_safe", False))


def binop(op: ast.operator, left: Any, right: Any) -> Any:
    """Apply *op* with Python 2 integer division and size limits."""
    if isinstance(op, ast.Div) and isinstance(left, int) and isinstance(
            right, int) and not isinstance(left, bool):
        return left // right
    if isinstance(op, ast.Mult):
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) \
                    and len(seq) * max(n, 0) > MAX_SEQUENCE:
                raise Refused("value too large for a config file")
    if isinstance(op, ast.Pow) and isinstance(right, int) and (
            abs(right) > 4096 or (isinstance(left, int) and abs(
                left).bit_length() * abs(right) > 65536)):
        raise Refused("number too large for a config file")
    if isinstance(op, ast.LShift) and isinstance(right, int) and right > 4096:
        raise Refused("shift too large for a config file")
    if isinstance(op, ast.Mod) and isinstance(left, str):
        check_percent_format(left)
    fn = _BINOPS.get(type(op))
    if fn is None:
        raise Refused(f"the operator {type(op).__name__} is not allowed")
    result = fn(left, right)
    if isinstance(result, (str, list, tuple)) and len(result) > MAX_SEQUENCE:
        raise Refused("value too large for a config file")
    return result


def method_guard(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method vetted by safe_method as callable by the config."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return method(*args, **kwargs)
    call._xm_safe = True  # type: ignore[attr-defined]
    return call
