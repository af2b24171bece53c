"""``xm migrate``: move a running domain to the xend on another host.

One RPC, ``xend.domain.migrate`` (4.4's parameters); xend connects to the
destination's relocation server and streams the domain.  The call blocks
until the domain runs there (or, on any failure, runs here again).  On a
terminal xend's progress reports are drawn on stderr; in scripts nothing
is printed on success, as in 4.4.
"""

from __future__ import annotations

from typing import Any

from xm.context import XmContext
from xm.progress import Progress


def parse_port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(value)
    return port


def parse_node(value: str) -> int:
    node = int(value)
    if not -1 <= node <= 1023:
        raise ValueError(value)
    return node


def _mib(n: Any) -> str:
    return f"{int(n) / (1 << 20):.1f} MiB" if isinstance(n, int) else "?"


class MigrationProgress(Progress):
    """The spinner line with what xend last reported."""

    def __init__(self, label: str, *args: Any) -> None:
        super().__init__(label, *args)
        self.info: dict[str, Any] = {}

    def __enter__(self) -> "MigrationProgress":
        super().__enter__()
        return self

    def update(self, info: Any) -> None:
        if isinstance(info, dict):
            with self._lock:
                self.info = info

    def render(self) -> str:
        base = super().render()
        info = self.info
        if not info:
            return base
        parts = [f"{_mib(info.get('image_sent', 0))} sent"]
        rate = info.get("rate")
        if isinstance(rate, int) and rate > 0:
            parts.append(f"{_mib(rate)}/s")
        if isinstance(info.get("iteration"), int):
            parts.append(f"iteration {info['iteration']}")
        if isinstance(info.get("dirty"), int):
            parts.append(f"{info['dirty']} dirty pages")
        if info.get("phase") == "restoring":
            parts.append("destination restoring")
        return f"{base} ({', '.join(parts)})"


def migrate(xm: XmContext, dom: str, host: str, live: bool,
            port: int | None, node: int | None, ssl: bool,
            change_home_server: bool) -> None:
    with MigrationProgress(f"Migrating {dom} to {host} ...", xm.err,
                           xm.interactive()) as progress:
        xm.call("xend.domain.migrate", dom, host, bool(live),
                port if port is not None else 0,
                node if node is not None else -1,
                True if ssl else None, bool(change_home_server),
                on_progress=progress.update)


def xl_rune(host: str, ssh: str | None) -> str:
    """The command xl itself would run to reach ``xl migrate-receive``."""
    if ssh == "":
        return host                     # -s '': HOST is the command
    import shlex
    return f"exec {ssh or 'ssh'} {shlex.quote(host)} xl migrate-receive"


def migrate_xl(xm: XmContext, dom: str, host: str, ssh: str | None,
               live: bool) -> None:
    """``xm migrate --xl``: xm starts the transport (ssh, with the user's
    keys), xend speaks xl's protocol on its pipes."""
    import subprocess
    from xm.errors import XmFailure
    try:
        child = subprocess.Popen(["/bin/sh", "-c", xl_rune(host, ssh)],
                                 stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
    except OSError as exc:
        raise XmFailure(f"cannot run the migration command: "
                        f"{exc.strerror}") from None
    assert child.stdin is not None and child.stdout is not None
    try:
        with MigrationProgress(f"Migrating {dom} to {host} (xl) ...",
                               xm.err, xm.interactive()):
            xm.call("xend.domain.migrate_send_xl", dom, True,
                    fds=[child.stdout.fileno(), child.stdin.fileno()])
    finally:
        child.stdin.close()
        child.stdout.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def migrate_receive(xm: XmContext, paused: bool, foreground: bool,
                    no_console: bool, debug: bool, remus: bool) -> None:
    """``xm migrate-receive``: what xl runs on this host; our stdin and
    stdout are xl's connection, handed to xend."""
    from xm.errors import XmFailure
    if remus:
        raise XmFailure("xm migrate-receive: Remus/COLO (-r) is not "
                        "supported")
    xm.call("xend.domain.migrate_receive_xl", bool(paused), fds=[0, 1])
