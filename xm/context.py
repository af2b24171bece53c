"""What a command runs with: the xend connection, the streams and the clock.

Every command gets one :class:`XmContext`.  Tests build it with a fake
``client_factory`` (and fake ``sleep``/``now``), so no command ever needs a
running xend or a real terminal.  ``call`` refuses RPC methods the command
did not declare in the command table, which keeps the table honest.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Protocol, TextIO

from xend.errors import InternalError


class Client(Protocol):
    """The part of :class:`xm.client.XendClient` commands use."""

    def call(self, method: str, *params: Any,
             fds: list[int] | None = None,
             on_progress: Callable[[Any], None] | None = None) -> Any: ...

    def close(self) -> None: ...


def _modifies(method: str) -> bool:
    from xend.rpc.api import BY_NAME   # only xm -N needs the method table
    spec = BY_NAME.get(method)
    return spec is None or spec.modifies


def default_client_factory() -> Client:
    from xm.client import XendClient   # imported on first RPC only
    return XendClient()


class XmContext:
    """Per-invocation state handed to every command handler (a plain
    class: no dataclasses on xm's start-up path)."""

    def __init__(self, client_factory: Callable[[], Client]
                 = default_client_factory,
                 stdout: TextIO | None = None, stderr: TextIO | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], float] = time.time,
                 command_name: str = "",
                 allowed_methods: tuple[str, ...] | None = None,
                 dry_run: bool = False) -> None:
        self.client_factory = client_factory
        self.stdout = stdout            # None: the sys stream at use time
        self.stderr = stderr
        self.sleep = sleep
        self.now = now
        self.command_name = command_name
        self.allowed_methods = allowed_methods
        self.dry_run = dry_run          # xm -N: print modifying requests
        self._client: Client | None = None

    @property
    def out(self) -> TextIO:
        return self.stdout if self.stdout is not None else sys.stdout

    @property
    def err(self) -> TextIO:
        return self.stderr if self.stderr is not None else sys.stderr

    def call(self, method: str, *params: Any,
             fds: list[int] | None = None,
             on_progress: Callable[[Any], None] | None = None) -> Any:
        """One RPC to xend; the method must be declared by the command.
        ``on_progress`` gets the progress reports xend sends meanwhile."""
        if self.allowed_methods is not None and \
                method not in self.allowed_methods:
            raise InternalError(f"xm {self.command_name}: RPC method "
                                f"{method} is not in the command table")
        if self.dry_run and _modifies(method):
            import json
            self.echo(json.dumps({"method": method, "params": list(params)}
                                 | ({"fds": len(fds)} if fds else {})))
            return None
        if self._client is None:
            self._client = self.client_factory()
        if on_progress is not None:
            return self._client.call(method, *params, fds=fds,
                                     on_progress=on_progress)
        if fds:
            return self._client.call(method, *params, fds=fds)
        return self._client.call(method, *params)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def echo(self, text: str = "") -> None:
        """One line on stdout."""
        self.out.write(text + "\n")

    def interactive(self) -> bool:
        """True when both streams are terminals: only then show progress."""
        try:
            return self.out.isatty() and self.err.isatty()
        except (AttributeError, ValueError):
            return False
