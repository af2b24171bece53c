"""The RPC registry: exact method names to handlers, with parameter checks.

Every method of :mod:`xend.rpc.api` must be registered exactly once (the
daemon refuses to start otherwise); a request for any other name is
"method not found".  Parameters are checked against the declared types
before a handler runs, so a bad request is a typed JSON-RPC error, never a
traceback.
"""

from __future__ import annotations

from typing import Any, Callable

from xend.errors import InternalError
from xend.rpc.api import BY_NAME, Method
from xend.rpc.protocol import INVALID_PARAMS, METHOD_NOT_FOUND, FrameError

Handler = Callable[..., Any]


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "dom":
        return (isinstance(value, str) and value != "") or \
            (isinstance(value, int) and not isinstance(value, bool)
             and value >= 0)
    if kind.endswith("|None"):
        return value is None or _type_ok(kind[:-5], value)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool) or value in (0, 1)
    if kind == "str":
        return isinstance(value, str)
    if kind == "dict":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    return False


class Registry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> None:
        if name not in BY_NAME:
            raise InternalError(f"{name} is not in the RPC method table")
        if name in self._handlers:
            raise InternalError(f"{name} registered twice")
        self._handlers[name] = handler

    def missing(self) -> list[str]:
        return sorted(set(BY_NAME) - set(self._handlers))

    def lookup(self, name: str) -> tuple[Method, Handler]:
        handler = self._handlers.get(name)
        if handler is None:
            raise FrameError(METHOD_NOT_FOUND, f"method not found: {name}")
        return BY_NAME[name], handler

    @staticmethod
    def check_params(method: Method, params: list[Any]) -> list[Any]:
        """Arity and type checks; returns params with defaults filled in."""
        declared = method.params
        required = sum(1 for p in declared if p.required)
        if not required <= len(params) <= len(declared):
            if required == len(declared):
                want = f"{required}"
            else:
                want = f"{required} to {len(declared)}"
            raise FrameError(INVALID_PARAMS,
                             f"invalid params: {method.name} takes {want} "
                             f"parameter(s), got {len(params)}")
        full = list(params) + [p.default for p in declared[len(params):]]
        for spec, value in zip(declared, full):
            if not _type_ok(spec.type, value):
                raise FrameError(INVALID_PARAMS,
                                 f"invalid params: {spec.name} must be "
                                 f"{spec.type}, got {type(value).__name__}")
            if spec.type == "bool":
                full[declared.index(spec)] = bool(value)
        return full
