"""Expressions the safe config evaluator computes (see :mod:`.evaluator`)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from xm.config.safe_builtins import (ScriptError, check_format_spec,
                                     safe_method)

if TYPE_CHECKING:
    from xm.config.evaluator import Interpreter

_CONSTANT_TYPES = (str, int, float, bool, type(None), bytes, complex)


def eval_expression(interp: "Interpreter", node: ast.expr) -> Any:
    """The value of *node*; Refused for anything outside the safe subset."""
    from xm.config.evaluator import CMPOPS, UNARY, Refused, binop
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, _CONSTANT_TYPES):
            raise Refused(f"the constant {node.value!r} is not allowed")
        return node.value
    if isinstance(node, ast.Name):
        return interp.lookup(node.id)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = _sequence(interp, node.elts)
        if isinstance(node, ast.Tuple):
            return tuple(items)
        return set(items) if isinstance(node, ast.Set) else items
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                out.update(interp.eval(value))
            else:
                out[interp.eval(key)] = interp.eval(value)
        return out
    if isinstance(node, ast.BinOp):
        return interp.charge(binop(node.op, interp.eval(node.left),
                                   interp.eval(node.right)))
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](interp.eval(node.operand))
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for value in node.values:
            result = interp.eval(value)
            if isinstance(node.op, ast.And) != bool(result):
                return result
        return result
    if isinstance(node, ast.Compare):
        left = interp.eval(node.left)
        for op, comp in zip(node.ops, node.comparators):
            right = interp.eval(comp)
            if not CMPOPS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return interp.eval(node.body if interp.eval(node.test)
                           else node.orelse)
    if isinstance(node, ast.Call):
        return _call(interp, node)
    if isinstance(node, ast.Attribute):
        return _method(interp, node)
    if isinstance(node, ast.Subscript):
        from xm.config.statements import _index
        container = interp.eval(node.value)
        if not isinstance(container, (str, list, tuple, dict)):
            raise Refused(f"cannot index a {type(container).__name__}")
        return container[_index(interp, node.slice)]
    if isinstance(node, ast.JoinedStr):
        return "".join(str(interp.eval(v)) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return _formatted(interp, node)
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp,
                         ast.DictComp)):
        return _comprehension(interp, node)
    raise Refused(f"the expression {type(node).__name__} is not allowed in "
                  "config files")


def _sequence(interp: "Interpreter", elts: list[ast.expr]) -> list[Any]:
    items: list[Any] = []
    for elt in elts:
        if isinstance(elt, ast.Starred):
            items.extend(interp.eval(elt.value))
        else:
            items.append(interp.eval(elt))
    return items


def _dotted(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # unparse is best effort on odd trees
        return type(node).__name__


def _method(interp: "Interpreter", node: ast.Attribute) -> Any:
    """``obj.name`` - only vetted methods of str/list/dict and xm_vars."""
    from xm.config.evaluator import Refused, method_guard
    refusal = Refused(f"attribute access '{_dotted(node)}' is not allowed "
                      "in config files (modules and object internals are "
                      "not available; use --python-config for configs "
                      "that need them)")
    if node.attr.startswith("_"):
        raise refusal
    try:
        obj = interp.eval(node.value)
    except ScriptError as exc:
        if exc.kind == "NameError":
            raise refusal from None
        raise
    method = safe_method(obj, node.attr)
    if method is None:
        raise refusal
    return method_guard(node.attr, method)


def _call(interp: "Interpreter", node: ast.Call) -> Any:
    fn = interp.eval(node.func)
    args = _sequence(interp, node.args)
    kwargs: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            kwargs.update(interp.eval(kw.value))
        else:
            kwargs[kw.arg] = interp.eval(kw.value)
    return interp.charge(interp.call(fn, *args, **kwargs))


def _formatted(interp: "Interpreter", node: ast.FormattedValue) -> str:
    value = interp.eval(node.value)
    if node.conversion == ord("r"):
        value = repr(value)
    elif node.conversion == ord("s"):
        value = str(value)
    spec = interp.eval(node.format_spec) if node.format_spec else ""
    if not isinstance(value, (str, int, float)):
        value = str(value)
    check_format_spec(spec)
    return format(value, spec)


def _comprehension(interp: "Interpreter", node: Any) -> Any:
    """List/set/dict comprehensions and generator expressions (as lists),
    in a scope of their own."""
    parent = interp.scopes[-1] if interp.scopes else {}
    interp.scopes.append(dict(parent))
    results: list[Any] = []
    try:
        _generate(interp, node, node.generators, results)
    finally:
        interp.scopes.pop()
    if isinstance(node, ast.SetComp):
        return set(results)
    if isinstance(node, ast.DictComp):
        return dict(results)
    return results


def _generate(interp: "Interpreter", node: Any,
              generators: list[ast.comprehension], out: list[Any]) -> None:
    from xm.config.statements import assign
    if not generators:
        if isinstance(node, ast.DictComp):
            out.append((interp.eval(node.key), interp.eval(node.value)))
        else:
            out.append(interp.eval(node.elt))
        return
    gen = generators[0]
    items = interp.eval(gen.iter)
    if not isinstance(items, (list, tuple, str, dict, set)):
        raise ScriptError(f"cannot loop over {type(items).__name__}",
                          "TypeError")
    for item in list(items):
        interp.tick()
        assign(interp, gen.target, item)
        if all(interp.eval(cond) for cond in gen.ifs):
            _generate(interp, node, generators[1:], out)
