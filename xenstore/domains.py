"""Domain and control messages, and the in-process domain API.

INTRODUCE/RELEASE/RESUME/SET_TARGET/IS_DOMAIN_INTRODUCED/GET_DOMAIN_PATH
and CONTROL, with the C daemon's (4.17 ``xenstored_domain.c``,
``xenstored_control.c``) argument checks and errors.  The same code backs
the Python API the simulated hypervisor calls (:func:`introduce`,
:func:`release`, :func:`shutdown`), so a domain introduced in-process and
one introduced over the wire behave alike: ``@introduceDomain`` fires for
a new domain, ``@releaseDomain`` when it is released (after the nodes it
owns are removed) or shut down.

Without a hypervisor there is no shared ring: an introduced domain's
connection exists in-process only (see ``EmbeddedXenstored.domain_client``).
"""

from __future__ import annotations

from .connection import Connection, Domain
from .engine import Engine
from .errors import XsError
from .tree import Transaction, child_path
from .wire import DOMID_SELF, Message, c_atoi, ok, onearg, strings


def introduce(e: Engine, domid: int, mfn: int = 0, port: int = 1) -> None:
    """Introduce a domain (idempotent; re-introducing resets its ring)."""
    dom = e.domains.get(domid)
    if dom is None or not dom.introduced:
        dom = dom or Domain(domid)
        dom.introduced, dom.mfn, dom.port = True, mfn, port
        dom.conn = Connection(sink=lambda m: None, domain=dom)
        e.domains[domid] = dom
        e.connections.append(dom.conn)
        if domid != 0:
            e.fire_watches(None, None, "@introduceDomain", None, exact=True)
            e.notify("introduce", domid)
    else:
        dom.port = port
    assert dom.conn is not None
    dom.conn.watches.clear()
    dom.conn.transactions.clear()


def release(e: Engine, domid: int) -> None:
    """Forget a domain: remove the nodes it owns, drop its watches and
    transactions, fire ``@releaseDomain``.  Raises EINVAL/ENOENT as
    RELEASE does."""
    if domid == 0:
        raise XsError("EINVAL")
    dom = e.domains.get(domid)
    if dom is None or not dom.introduced:
        raise XsError("ENOENT")
    if dom.conn is None:
        raise XsError("EINVAL")
    e._queued.clear()       # events of one release are merged as one request's
    try:
        _remove_owned_nodes(e, domid)
    finally:
        e._queued.clear()
    for name in e.special_perms:
        perms = e.special_perms[name]
        e.special_perms[name] = [perms[0]] + [
            p for p in perms[1:] if p.domid != domid]
    dom.conn.closed = True
    e.drop_watcher(dom.conn)
    if dom.conn in e.connections:
        e.connections.remove(dom.conn)
    del e.domains[domid]
    e.fire_watches(None, None, "@releaseDomain", None, exact=True)
    e.notify("release", domid)


def shutdown(e: Engine, domid: int) -> None:
    """The domain shut down or crashed: fire ``@releaseDomain`` once,
    until RESUME (what the C daemon does on VIRQ_DOM_EXC)."""
    dom = e.domains.get(domid)
    if dom is not None and dom.introduced and not dom.shutdown:
        dom.shutdown = True
        e.fire_watches(None, None, "@releaseDomain", None, exact=True)
        e.notify("shutdown", domid)


def _remove_owned_nodes(e: Engine, domid: int) -> None:
    # Pre-order walk from the root; an owned subtree goes as a whole.
    if not e.tree.entries.get(domid):
        return
    stack = ["/"]
    while stack and e.tree.entries.get(domid):
        path = stack.pop()
        node = e.tree.get(path, None)
        if node is None:
            continue
        if node.owner == domid and path != "/":
            e.rm_node(None, None, path)
            continue
        stack.extend(child_path(path, c) for c in reversed(node.children))


def _domain_arg(e: Engine, m: Message) -> Domain:
    arg = onearg(m.payload)
    if arg is None:
        raise XsError("EINVAL")
    domid = c_atoi(arg)
    if not domid:
        raise XsError("EINVAL")
    return _connected(e, domid)


def _connected(e: Engine, domid: int) -> Domain:
    dom = e.domains.get(domid)
    if dom is None or not dom.introduced:
        raise XsError("ENOENT")
    if dom.conn is None:
        raise XsError("EINVAL")
    return dom


def do_introduce(e: Engine, c: Connection, tx: Transaction | None,
                 m: Message) -> bytes:
    args = strings(m.payload)
    if len(args) < 3:
        raise XsError("EINVAL")
    port = c_atoi(args[2])
    if port == 0 or port >= 1 << 31:        # "port <= 0" on a signed int
        raise XsError("EINVAL")
    introduce(e, c_atoi(args[0]), c_atoi(args[1]), port)
    return ok()


def do_release(e: Engine, c: Connection, tx: Transaction | None,
               m: Message) -> bytes:
    release(e, _domain_arg(e, m).domid)
    return ok()


def do_resume(e: Engine, c: Connection, tx: Transaction | None,
              m: Message) -> bytes:
    _domain_arg(e, m).shutdown = False
    return ok()


def do_set_target(e: Engine, c: Connection, tx: Transaction | None,
                  m: Message) -> bytes:
    args = strings(m.payload)
    if len(args) < 2:
        raise XsError("EINVAL")
    dom = _connected(e, c_atoi(args[0]))
    target = _connected(e, c_atoi(args[1]))
    assert dom.conn is not None
    dom.conn.target = target.domid
    return ok()


def do_get_domain_path(e: Engine, c: Connection, tx: Transaction | None,
                       m: Message) -> bytes:
    arg = onearg(m.payload)
    if arg is None:
        raise XsError("EINVAL")
    return f"/local/domain/{c_atoi(arg)}\0".encode()


def do_is_domain_introduced(e: Engine, c: Connection,
                            tx: Transaction | None, m: Message) -> bytes:
    arg = onearg(m.payload)
    if arg is None:
        raise XsError("EINVAL")
    domid = c_atoi(arg)
    dom = e.domains.get(domid)
    yes = domid == DOMID_SELF or (dom is not None and dom.introduced)
    return b"T\0" if yes else b"F\0"


# -- CONTROL ----------------------------------------------------------------

_HARD = [("nodes", "Nodes per domain"),
         ("watches", "Watches per domain"),
         ("transactions", "Transactions per domain"),
         ("outstanding", "Outstanding requests per domain"),
         ("transaction-nodes",
          "Max. number of accessed nodes per transaction"),
         ("memory", "Total Xenstore memory per domain (error level)"),
         ("node-size", "Max. size of a node"),
         ("path-max", "Max. length of a node path"),
         ("permissions", "Max. number of permissions per node")]
_SOFT = [("memory", "Total Xenstore memory per domain (warning level)")]
_HELP = [("check", ""), ("log", "on|off"),
         ("live-update", "[-c <cmdline>] [-F] [-t <timeout>] <file>\n"
          "    Default timeout is 60 seconds."),
         ("logfile", "<file>"),
         ("memreport", "[<file>]"), ("print", "<string>"),
         ("quota", "[set <name> <val>|<domid>]"),
         ("quota-soft", "[set <name> <val>]"), ("help", "")]


def _quota_table(values: dict[str, int], rows: list[tuple[str, str]]
                 ) -> bytes:
    text = "Quota settings:\n" + "".join(
        f"{name:<17}: {values[name]:8d} {descr}\n" for name, descr in rows)
    return text.encode() + b"\0"


def _quota_set(values: dict[str, int], args: list[bytes]) -> bytes:
    if len(args) != 2:
        raise XsError("EINVAL")
    val = c_atoi(args[1])
    name = args[0].decode("latin-1")
    if val < 1 or val >= 1 << 31 or name not in values:
        raise XsError("EINVAL")
    values[name] = val
    return ok()


def _domain_quota(e: Engine, domid: int) -> bytes:
    dom = e.domains.get(domid)
    if dom is None:
        raise XsError("ENOENT")
    conn = dom.conn
    rows = [("nodes", e.tree.entries.get(domid, 0)),
            ("watches", len(conn.watches) if conn else 0),
            ("transactions", len(conn.transactions) if conn else 0),
            ("outstanding", 0), ("memory", 0)]
    text = f"Domain {domid}:\n" + "".join(
        f"{name:<16}: {value:8d}\n" for name, value in rows)
    return text.encode() + b"\0"


def _memreport(e: Engine, path: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as report:
            report.write(f"embedded xenstored: {len(e.tree.nodes)} nodes, "
                         f"{len(e.connections)} connections, "
                         f"{len(e.domains)} domains\n")
    except OSError:
        raise XsError("EINVAL") from None


def do_control(e: Engine, c: Connection, tx: Transaction | None,
               m: Message) -> bytes:
    args = strings(m.payload)
    if not args:
        raise XsError("EINVAL")
    cmd, rest = args[0].decode("latin-1"), args[1:]
    if cmd == "check":
        if rest:
            raise XsError("EINVAL")
        return ok()
    if cmd == "log":
        if rest not in ([b"on"], [b"off"]):
            raise XsError("EINVAL")
        return ok()
    if cmd in ("logfile", "print"):
        if len(rest) != 1:
            raise XsError("EINVAL")
        if cmd == "print":
            e.log.append(rest[0].decode("latin-1"))
        return ok()
    if cmd == "memreport":
        # Without a trace file the C daemon fails with EBADF, sent as
        # EINVAL; with a file name it appends a report there.
        if len(rest) != 1:
            raise XsError("EINVAL")
        _memreport(e, rest[0].decode("latin-1", "replace"))
        return ok()
    if cmd == "live-update":
        # There is nothing to live-update in-process: never in a session.
        if not rest:
            raise XsError("EINVAL")
        if rest == [b"-a"]:
            return b"No live-update session active.\0"
        return b"Live update is not supported by the embedded xenstored.\0"
    if cmd == "help":
        if rest:
            raise XsError("EINVAL")
        return "".join(f"{n}\t{p}\n" for n, p in _HELP).encode() + b"\0"
    if cmd in ("quota", "quota-soft"):
        values, rows = ((e.quotas, _HARD) if cmd == "quota"
                        else (e.soft_quotas, _SOFT))
        if not rest:
            return _quota_table(values, rows)
        if rest[0] == b"set":
            return _quota_set(values, rest[1:])
        if cmd == "quota" and len(rest) == 1:
            return _domain_quota(e, c_atoi(rest[0]))
    raise XsError("EINVAL")
