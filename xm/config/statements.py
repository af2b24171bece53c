"""Statements the safe config evaluator runs (see :mod:`.evaluator`)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from xm.config.evaluator import LoopControl
from xm.config.safe_builtins import EXCEPTION_NAMES, ScriptError

if TYPE_CHECKING:
    from xm.config.evaluator import Interpreter

_GLOBALS_KEY = "__globals__"  # never a user name: '_' names are refused


class _Break(LoopControl):
    pass


class _Continue(LoopControl):
    pass


def exec_statement(interp: "Interpreter", stmt: ast.stmt) -> None:
    """Run one statement; Refused for anything outside the safe subset."""
    from xm.config.evaluator import Function, Refused, FunctionReturn, binop
    if isinstance(stmt, ast.Assign):
        value = interp.eval(stmt.value)
        for target in stmt.targets:
            assign(interp, target, value)
    elif isinstance(stmt, ast.AugAssign):
        current = interp.eval(_as_load(stmt.target))
        assign(interp, stmt.target,
               binop(stmt.op, current, interp.eval(stmt.value)))
    elif isinstance(stmt, ast.Expr):
        interp.eval(stmt.value)
    elif isinstance(stmt, ast.If):
        interp.exec_body(stmt.body if interp.eval(stmt.test)
                         else stmt.orelse)
    elif isinstance(stmt, (ast.For, ast.While)):
        _loop(interp, stmt)
    elif isinstance(stmt, ast.Break):
        raise _Break()
    elif isinstance(stmt, ast.Continue):
        raise _Continue()
    elif isinstance(stmt, ast.Pass):
        pass
    elif isinstance(stmt, ast.FunctionDef):
        _check_def(stmt)
        defaults = [interp.eval(d) for d in stmt.args.defaults]
        interp.store(stmt.name, Function(interp, stmt, defaults))
    elif isinstance(stmt, ast.Return):
        raise FunctionReturn(interp.eval(stmt.value) if stmt.value else None)
    elif isinstance(stmt, ast.Raise):
        raise _exception(interp, stmt)
    elif isinstance(stmt, ast.Assert):
        if not interp.eval(stmt.test):
            message = interp.eval(stmt.msg) if stmt.msg else ""
            raise ScriptError(str(message), "AssertionError")
    elif isinstance(stmt, ast.Global):
        if not interp.scopes:
            return
        declared = interp.scopes[-1].setdefault(_GLOBALS_KEY, set())
        declared.update(stmt.names)
    elif isinstance(stmt, ast.Delete):
        for target in stmt.targets:
            _delete(interp, target)
    elif isinstance(stmt, ast.Try):
        _try(interp, stmt)
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        raise Refused("import is not allowed in config files "
                      "(use --python-config for configs that need it)")
    else:
        raise Refused(f"the statement {type(stmt).__name__} is not allowed "
                      "in config files")


def assign(interp: "Interpreter", target: ast.expr, value: Any) -> None:
    """Bind *value* to a name, a tuple/list of targets or a subscript."""
    from xm.config.evaluator import Refused
    if isinstance(target, ast.Name):
        declared = (interp.scopes[-1].get(_GLOBALS_KEY, set())
                    if interp.scopes else set())
        if target.id in declared:
            interp.globals[target.id] = value
        else:
            interp.store(target.id, value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = list(value)
        if len(values) != len(target.elts):
            raise ScriptError(f"cannot unpack {len(values)} values into "
                              f"{len(target.elts)} names", "ValueError")
        for elt, item in zip(target.elts, values):
            assign(interp, elt, item)
    elif isinstance(target, ast.Subscript):
        container = interp.eval(target.value)
        if not isinstance(container, (list, dict)):
            raise Refused("only lists and dicts can be assigned into")
        container[_index(interp, target.slice)] = value
    else:
        raise Refused(f"cannot assign to {type(target).__name__} in config "
                      "files")


def _index(interp: "Interpreter", node: ast.expr) -> Any:
    if isinstance(node, ast.Slice):
        return slice(*(interp.eval(n) if n is not None else None
                       for n in (node.lower, node.upper, node.step)))
    return interp.eval(node)


def _as_load(target: ast.expr) -> ast.expr:
    if isinstance(target, ast.Name):
        return ast.Name(id=target.id, ctx=ast.Load())
    if isinstance(target, ast.Subscript):
        return ast.Subscript(value=target.value, slice=target.slice,
                             ctx=ast.Load())
    return target


def _check_def(stmt: ast.FunctionDef) -> None:
    from xm.config.evaluator import Refused
    a = stmt.args
    if stmt.decorator_list or a.vararg or a.kwarg or a.kwonlyargs or \
            a.posonlyargs:
        raise Refused(f"function {stmt.name}: decorators, *args, **kwargs "
                      "and keyword-only arguments are not allowed in config "
                      "files")


def _loop(interp: "Interpreter", stmt: ast.For | ast.While) -> None:
    def iterations() -> Any:
        if isinstance(stmt, ast.While):
            while interp.eval(stmt.test):
                yield None
        else:
            items = interp.eval(stmt.iter)
            if not isinstance(items, (list, tuple, str, dict)):
                raise ScriptError(f"cannot loop over {type(items).__name__}",
                                  "TypeError")
            yield from list(items)
    for item in iterations():
        interp.tick()
        if isinstance(stmt, ast.For):
            assign(interp, stmt.target, item)
        try:
            interp.exec_body(stmt.body)
        except _Break:
            return
        except _Continue:
            continue
    interp.exec_body(stmt.orelse)


def _exception(interp: "Interpreter", stmt: ast.Raise) -> ScriptError:
    if stmt.exc is None:
        return ScriptError("re-raise outside an except clause",
                           "RuntimeError")
    value = interp.eval(stmt.exc)
    if callable(value) and getattr(value, "__name__", "") in EXCEPTION_NAMES:
        value = value()
    if not isinstance(value, ScriptError):
        value = ScriptError(str(value))
    value.explicit = True
    return value


def _delete(interp: "Interpreter", target: ast.expr) -> None:
    from xm.config.evaluator import Refused
    if isinstance(target, ast.Name):
        scope = interp.scopes[-1] if interp.scopes else interp.globals
        scope.pop(target.id, None)
    elif isinstance(target, ast.Subscript):
        container = interp.eval(target.value)
        if not isinstance(container, (list, dict)):
            raise Refused("only list and dict items can be deleted")
        del container[_index(interp, target.slice)]
    else:
        raise Refused("cannot delete that in a config file")


def _try(interp: "Interpreter", stmt: ast.Try) -> None:
    try:
        interp.exec_body(stmt.body)
    except ScriptError as exc:
        for handler in stmt.handlers:
            names = _handler_names(handler.type)
            if names is None or exc.kind in names or names & {
                    "Exception", "StandardError"}:
                if handler.name:
                    interp.store(handler.name, exc)
                interp.exec_body(handler.body)
                break
        else:
            raise
    else:
        interp.exec_body(stmt.orelse)
    finally:
        interp.exec_body(stmt.finalbody)


def _handler_names(node: ast.expr | None) -> set[str] | None:
    if node is None:
        return None
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Tuple):
        return {e.id for e in node.elts if isinstance(e, ast.Name)}
    return set()
