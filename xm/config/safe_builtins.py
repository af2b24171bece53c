"""What a config file may call: a few builtins and harmless str/list/dict
methods, plus the ``xm_vars`` helper of xm 4.4.

Everything here is pure (no I/O, no access to modules or interpreter
internals) and bounded in size, so that evaluating a config cannot read or
write files, run programs, or eat the machine's memory.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any, Callable

MAX_SEQUENCE = 1_000_000  # longest string/list a config may build
MAX_RANGE = 100_000


class ScriptError(Exception):
    """An exception raised by the config itself (``raise ValueError(...)``)
    or by a builtin it called; ``str()`` is the message xm printed."""

    def __init__(self, message: str, kind: str = "Exception",
                 explicit: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        # True when the config raised it on purpose (``raise``, a failed
        # xm_vars check): xm printed just the message for those.
        self.explicit = explicit


def _size_check(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_SEQUENCE:
        raise ScriptError("value too large for a config file",
                          "MemoryError")
    return value


def _safe_range(*args: int) -> list[int]:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise ScriptError("range too large for a config file", "ValueError")
    return list(values)


def _int(value: Any = 0, base: int | None = None) -> int:
    # Python 2 int() of a float-looking string failed too; keep py3 rules
    if value is None:
        raise ScriptError("int() argument must be a string or a number, "
                          "not 'NoneType'", "TypeError")
    if base is not None:
        return int(value, base)
    return int(value)


def _sum(values: Any, start: Any = 0) -> Any:
    # numbers only: sum(lists, []) is quadratic and would let a config
    # spin for hours inside one step
    if not isinstance(start, (int, float)):
        raise ScriptError("sum() of non-numbers is not allowed in config "
                          "files", "TypeError")
    return sum(values, start)


def _exception_type(kind: str) -> Callable[..., ScriptError]:
    def make(*args: Any) -> ScriptError:
        message = str(args[0]) if len(args) == 1 else (
            str(args) if args else "")
        return ScriptError(message, kind)
    make.__name__ = kind
    return make


EXCEPTION_NAMES = ("Exception", "ValueError", "TypeError", "KeyError",
                   "IndexError", "RuntimeError", "StandardError",
                   "NameError", "AssertionError")

SAFE_BUILTINS: dict[str, Any] = {
    "int": _int, "long": _int, "float": float, "str": str, "unicode": str,
    "bool": bool, "len": len, "range": _safe_range, "xrange": _safe_range,
    "list": list, "tuple": tuple, "dict": dict, "min": min, "max": max,
    "abs": abs, "sorted": sorted, "reversed": lambda s: list(reversed(s)),
    "enumerate": lambda s, start=0: list(enumerate(s, start)),
    "zip": lambda *s: list(zip(*s)), "repr": repr, "hex": hex, "oct": oct,
    "round": round, "sum": _sum, "any": any, "all": all, "chr": chr,
    "ord": ord, "divmod": divmod, "True": True, "False": False,
    "None": None,
    **{name: _exception_type(name) for name in EXCEPTION_NAMES},
}

STR_METHODS = frozenset((
    "format", "join", "split", "rsplit", "strip", "lstrip", "rstrip",
    "replace", "upper", "lower", "startswith", "endswith", "find", "rfind",
    "count", "index", "isdigit", "isalpha", "isalnum", "isspace", "splitlines",
    "partition", "rpartition", "zfill", "ljust", "rjust", "center", "title",
    "capitalize", "swapcase"))
LIST_METHODS = frozenset(("append", "extend", "insert", "pop", "remove",
                          "index", "count", "reverse", "sort"))
DICT_METHODS = frozenset(("get", "keys", "values", "items", "update",
                          "setdefault", "pop", "copy", "has_key"))


def check_format_spec(spec: str) -> None:
    """Refuse widths/precisions that would build huge strings, and ``*``
    (a width taken from the arguments)."""
    if "*" in spec or any(len(run) > 6 for run in re.findall(r"\d+", spec)):
        raise ScriptError("format width too large for a config file",
                          "ValueError")


def check_percent_format(fmt: str) -> None:
    """check_format_spec for every ``%`` conversion of *fmt*."""
    for spec in re.findall(r"%[^a-zA-Z%]*", fmt):
        check_format_spec(spec)


class _SafeFormatter(string.Formatter):
    """``str.format`` without ``{0.attr}``/``{0[key]}`` field lookups,
    which would let a config reach interpreter internals."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        if "." in field_name or "[" in field_name:
            raise ScriptError(f"format field {field_name!r} is not allowed "
                              "in config files", "ValueError")
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_format_spec(format_spec)
        return super().format_field(value, format_spec)


_FORMATTER = _SafeFormatter()


def _growth_check(obj: Any, name: str, args: tuple[Any, ...]) -> None:
    """Refuse method calls whose result would exceed MAX_SEQUENCE, before
    the memory is spent."""
    size = 0
    if isinstance(obj, str) and name == "join" and args:
        items = list(args[0])
        size = sum(len(x) for x in items if isinstance(x, str)) + \
            len(obj) * len(items)
    elif isinstance(obj, str) and name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        hits = obj.count(old) if old else len(obj) + 1
        size = len(obj) + hits * len(new)
    elif isinstance(obj, str) and name in ("ljust", "rjust", "center",
                                           "zfill") and args:
        size = args[0] if isinstance(args[0], int) else 0
    elif isinstance(obj, list) and name in ("append", "insert"):
        size = len(obj) + 1
    elif isinstance(obj, list) and name == "extend" and args:
        size = len(obj) + len(args[0])
    if size > MAX_SEQUENCE:
        raise ScriptError("value too large for a config file", "MemoryError")


def _guarded(obj: Any, name: str, method: Callable[..., Any]
             ) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        _growth_check(obj, name, args)
        return _size_check(method(*args, **kwargs))
    return call


def safe_method(obj: Any, name: str) -> Callable[..., Any] | None:
    """The method *name* of *obj* if configs may call it, else None."""
    method = _safe_method(obj, name)
    return None if method is None else _guarded(obj, name, method)


def _safe_method(obj: Any, name: str) -> Callable[..., Any] | None:
    if isinstance(obj, str) and name == "format":
        return lambda *a, **k: _size_check(_FORMATTER.format(obj, *a, **k))
    if isinstance(obj, str) and name in STR_METHODS:
        return getattr(obj, name)  # type: ignore[no-any-return]
    if isinstance(obj, list) and name in LIST_METHODS:
        if name == "sort":
            return lambda reverse=False: obj.sort(reverse=reverse)
        return getattr(obj, name)
    if isinstance(obj, dict) and name in DICT_METHODS:
        if name == "has_key":  # Python 2 configs use it
            return lambda key: key in obj
        if name in ("keys", "values", "items"):
            return lambda: list(getattr(obj, name)())
        return getattr(obj, name)
    if isinstance(obj, XmVars) and name in ("var", "check"):
        return getattr(obj, name)
    return None


@dataclass
class _Var:
    name: str
    use: str
    check: Any


@dataclass
class XmVars:
    """The ``xm_vars`` object configs use to declare and check script
    variables (``xm_vars.var('vmid', use=..., check=fn)``,
    ``xm_vars.check()``).

    *call* runs a config function (the evaluator's, or Python's own);
    *env* is the config's namespace, where checked values are stored back.
    In help mode ``check`` collects the help text instead.
    """

    filename: str
    help_mode: bool
    env: dict[str, Any]
    call: Callable[..., Any]
    vars: list[_Var] = field(default_factory=list)
    help_lines: list[str] = field(default_factory=list)

    def var(self, name: str, use: str | None = None,
            check: Any = None) -> None:
        self.vars.append(_Var(name, use or "", check))

    def check(self) -> None:
        if self.help_mode:
            if self.vars:
                self.help_lines.append(
                    f"Configuration variables for {self.filename}:")
                self.help_lines += [f"{v.name:<12} {v.use}"
                                    for v in self.vars]
            return
        for var in self.vars:
            if var.check is None:
                continue
            try:
                self.env[var.name] = self.call(var.check, var.name,
                                               self.env.get(var.name))
            except (ScriptError, ValueError, TypeError, KeyError,
                    IndexError, ArithmeticError) as exc:
                # xm printed "vmid - " for a bare ``raise ValueError``;
                # naming the exception says a little more
                detail = str(exc) or getattr(exc, "kind",
                                             type(exc).__name__)
                raise ScriptError(f"{var.name} - {detail}",
                                  getattr(exc, "kind", type(exc).__name__),
                                  explicit=True) from None
