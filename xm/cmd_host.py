"""Host commands: ``xm info``, ``xm dmesg``, ``xm log``, ``xm debug-keys``."""

from __future__ import annotations

from xm import render
from xm.context import XmContext


def info(xm: XmContext, config: bool, numa: bool = False) -> None:
    if config:
        xm.out.write(_xend_config())
        return
    # Without -n the call has no argument, as before (and as 4.4's
    # xend.node.info() defaulted).
    pairs = xm.call("xend.node.info", True) if numa else \
        xm.call("xend.node.info")
    xm.out.write(render.info(pairs))


def _xend_config() -> str:
    """``xm info -c``: the *local* xend configuration, read by xm itself as
    in 4.4: every setting alphabetically, ``config`` expanded into the
    file's own ``(key value)`` entries."""
    from dataclasses import fields
    from xend.daemon.config import load_config
    from xend.model.sxp import parse
    cfg = load_config()
    rows: list[tuple[str, object]] = [(f.name, getattr(cfg, f.name))
                                      for f in fields(cfg)]
    try:
        with open(cfg.path, encoding="utf-8") as f:
            entries = [e for e in parse(f.read(), cfg.path)
                       if isinstance(e, list) and e]
    except FileNotFoundError:
        entries = []
    lines = []
    for name, value in sorted(rows + [("config", entries)]):
        if name != "config":
            lines.append("%-38s:" % name + " " + str(value))
            continue
        for entry in entries:
            if len(entry) < 2:
                lines.append("%-38s: (none)" % entry[0])
            else:
                lines.append("%-38s:" % entry[0] + " " + str(entry[1]))
    return "".join(line + "\n" for line in lines)


def dmesg(xm: XmContext, clear: bool) -> None:
    method = "xend.node.dmesg.clear" if clear else "xend.node.dmesg.info"
    # The ring already ends in a newline; 4.4 added none.  (Nothing comes
    # back under xm -N.)
    xm.out.write(str(xm.call(method) or ""))


def log(xm: XmContext) -> None:
    xm.echo(str(xm.call("xend.node.log")))


def debug_keys(xm: XmContext, keys: str) -> None:
    xm.call("xend.node.send_debug_keys", keys)
