"""The protocol engine of the embedded xenstored: requests in, replies out.

Pure logic with no sockets or threads: a transport hands each decoded
:class:`~xenstore.wire.Message` of a :class:`~xenstore.connection.Connection`
to :meth:`Engine.handle`; replies and watch events go to the connections'
sinks.  The caller serialises calls (one thread or one event loop).

Error behaviour mirrors the Xen 4.17 C daemon (``xenstored_core.c``):
permissions hide existence (ENOENT becomes EACCES when the nearest
existing ancestor is not accessible), watches fire for the node and its
descendants, removal reports each removed node.  Node operations are
here; domain, watch and control operations are in :mod:`xenstore.domains`.
"""

from __future__ import annotations

import re
from typing import Callable

from . import perms as P
from .connection import Connection, Domain, Sink, default_special_perms
from .errors import XsError
from .perms import Perm
from .tree import Node, Transaction, Tree, basename, child_path, parent_of
from .wire import Message, Op, REL_PATH_MAX, error_payload, ok, onearg

#: Default quotas of the 4.17 C daemon; they apply to unprivileged domains.
DEFAULT_QUOTAS: dict[str, int] = {
    "nodes": 1000, "watches": 128, "transactions": 10, "outstanding": 20,
    "transaction-nodes": 1024, "memory": 2 * 1024 * 1024 + 512 * 1024,
    "node-size": 2048, "path-max": REL_PATH_MAX, "permissions": 5,
}
DEFAULT_SOFT_QUOTAS: dict[str, int] = {"memory": 2 * 1024 * 1024}

_VALID = re.compile(r"[A-Za-z0-9\-/_@]*\Z")
_LOCAL = re.compile(r"/local/domain/\d{1,5}/")

Handler = Callable[["Engine", Connection, Transaction | None, Message], bytes]
DomainListener = Callable[[str, int], None]

PRIV = 1        # privileged connections only
NOTID = 2       # transaction id ignored


class Engine:
    """The whole daemon state: tree, connections, domains, watches."""

    def __init__(self, priv_domid: int = 0) -> None:
        self.tree = Tree()
        self.priv_domid = priv_domid
        self.quotas = dict(DEFAULT_QUOTAS)
        self.soft_quotas = dict(DEFAULT_SOFT_QUOTAS)
        self.connections: list[Connection] = []
        self.domains: dict[int, Domain] = {}
        self.special_perms: dict[str, list[Perm]] = {
            "@releaseDomain": default_special_perms(),
            "@introduceDomain": default_special_perms()}
        self.listeners: list[DomainListener] = []
        self.log: list[str] = []            # CONTROL print / log output
        # Events queued per connection while one request is processed;
        # the C daemon drops an event identical to one still queued.
        self._queued: dict[int, set[bytes]] = {}
        # Connections that registered a watch, by serial (which is also
        # their order in ``connections``): a change looks at these only,
        # not at every introduced domain's connection.
        self._watchers: dict[int, Connection] = {}
        self._watcher_order: list[Connection] | None = None
        # Domain 0 is introduced at start, as dom0_init() does.
        dom0 = Domain(0, introduced=True, port=1)
        dom0.conn = Connection(sink=lambda m: None, domain=dom0)
        self.domains[0] = dom0
        self.connections.append(dom0.conn)

    # -- connections ---------------------------------------------------------

    def connect(self, sink: Sink) -> Connection:
        """A new privileged (socket-style) connection."""
        conn = Connection(sink=sink)
        self.connections.append(conn)
        return conn

    def add_watcher(self, conn: Connection) -> None:
        """``conn`` registered a watch: changes now look at it."""
        if conn.serial not in self._watchers:
            self._watchers[conn.serial] = conn
            self._watcher_order = None

    def drop_watcher(self, conn: Connection) -> None:
        if self._watchers.pop(conn.serial, None) is not None:
            self._watcher_order = None

    def disconnect(self, conn: Connection) -> None:
        self.drop_watcher(conn)
        conn.closed = True
        conn.watches.clear()
        conn.transactions.clear()
        if conn in self.connections and conn.domain is None:
            self.connections.remove(conn)

    def is_unprivileged(self, conn: Connection | None) -> bool:
        return (conn is not None and conn.domain is not None
                and conn.domid not in (0, self.priv_domid))

    def access(self, conn: Connection, perms: tuple[Perm, ...] | list[Perm]
               ) -> int:
        return P.access_for(list(perms), conn.domid,
                            not self.is_unprivileged(conn), conn.target)

    # -- dispatch -------------------------------------------------------------

    def handle(self, conn: Connection, msg: Message) -> None:
        """Process one request and send its reply (and any events)."""
        self._queued.clear()
        try:
            self._handle(conn, msg)
        finally:
            self._queued.clear()

    def _handle(self, conn: Connection, msg: Message) -> None:
        entry = _handlers().get(msg.op)
        try:
            if entry is None:
                raise XsError("ENOSYS")
            handler, flags = entry
            if flags & PRIV and self.is_unprivileged(conn):
                raise XsError("EACCES")
            tx = None
            if not flags & NOTID and msg.tx_id:
                tx = conn.transactions.get(msg.tx_id)
                if tx is None:
                    raise XsError("ENOENT")
            payload = handler(self, conn, tx, msg)
            op = msg.op
        except XsError as err:
            op, payload = Op.ERROR, error_payload(err.name)
        if len(payload) > 4096:
            op, payload = Op.ERROR, error_payload("E2BIG")
        conn.send(Message(op, msg.req_id, msg.tx_id, payload))
        if op != Op.ERROR and msg.op == Op.WATCH:
            # The initial event follows the reply (do_watch).
            watch = conn.watches[-1]
            self.send_event(conn, watch.event_path(watch.node), watch.token)

    # -- paths and node access ---------------------------------------------

    def canonical(self, conn: Connection, name: str) -> str:
        if name.startswith("/") or name.startswith("@"):
            return name
        return f"{conn.implicit_path()}/{name}"

    def valid_path(self, path: str) -> bool:
        if not path.startswith("/"):
            return False
        if path.endswith("/") and path != "/":
            return False
        if "//" in path:
            return False
        m = _LOCAL.match(path)
        local_off = m.end() if m else 0
        if len(path) > local_off + self.quotas["path-max"]:
            return False
        return bool(_VALID.match(path))

    def resolve(self, conn: Connection, raw: bytes | None) -> str:
        """Canonical, validated path of a request argument (else EINVAL)."""
        if raw is None:
            raise XsError("EINVAL")
        path = self.canonical(conn, raw.decode("latin-1"))
        if not self.valid_path(path):
            raise XsError("EINVAL")
        return path

    def get_node(self, conn: Connection, tx: Transaction | None, path: str,
                 perm: int) -> Node:
        """The node if the connection has ``perm`` on it; else ENOENT or
        EACCES, chosen so as not to leak existence (get_node in C)."""
        node = self.tree.get(path, tx)
        if node is not None:
            if self.access(conn, node.perms) & perm == perm:
                return node
            err = "EACCES"
        else:
            err = "ENOENT"
        raise XsError(self._errno_from_parents(conn, tx, path, err, perm))

    def _errno_from_parents(self, conn: Connection, tx: Transaction | None,
                            path: str, err: str, perm: int) -> str:
        name = path
        node = None
        while name != "/":
            name = parent_of(name)
            node = self.tree.get(name, tx)
            if node is not None:
                break
        if node is None:
            return err
        return err if self.access(conn, node.perms) & perm else "EACCES"

    def write_node(self, conn: Connection | None, tx: Transaction | None,
                   node: Node, no_quota: bool = False) -> None:
        if tx is not None:
            # As in the C daemon, the access is recorded before the quota
            # check; a failed write therefore poisons the transaction.
            self.tree.put(node, tx)
        if (not no_quota and self.is_unprivileged(conn)
                and node.record_size() >= self.quotas["node-size"]):
            if tx is not None:
                tx.fail = True
            raise XsError("ENOSPC")
        if tx is None:
            self.tree.put(node, tx)

    def create_node(self, conn: Connection, tx: Transaction | None,
                    path: str, value: bytes) -> Node:
        """Create ``path`` and any missing ancestors (construct_node)."""
        missing = [path]
        parent = self.tree.get(parent_of(path), tx)
        while parent is None:
            missing.append(parent_of(missing[-1]))
            parent = self.tree.get(parent_of(missing[-1]), tx)
        parent = parent.copy()
        chain: list[Node] = []
        up = parent
        for name in reversed(missing):
            up.children.append(basename(name))
            owner_perms = up.perms
            if self.is_unprivileged(conn):
                owner_perms = (Perm(owner_perms[0].access, conn.domid),) \
                    + owner_perms[1:]
            new = Node(name, b"", owner_perms)
            chain.append(new)
            up = new
        chain[-1].value = value
        if tx is not None:
            tx.node_created = True
        written: list[Node] = []
        try:
            for new in reversed(chain):     # bottom up, as the C daemon
                if (self.is_unprivileged(conn) and self.tree.entries.get(
                        conn.domid, 0) >= self.quotas["nodes"]):
                    raise XsError("ENOSPC")
                self.write_node(conn, tx, new)
                written.append(new)
            self.write_node(conn, tx, parent)
        except XsError:
            for new in written:
                self.tree.delete(new.path, tx)
            if tx is not None:
                tx.fail = True
            raise
        return chain[-1]

    def rm_node(self, conn: Connection | None, tx: Transaction | None,
                path: str) -> None:
        """Remove a subtree, firing watches for each node (rm_node)."""
        parent = self.tree.get(parent_of(path), tx)
        if parent is None:
            raise XsError("EINVAL")
        self._delete_subtree(conn, tx, path, path)
        parent = parent.copy()
        if basename(path) in parent.children:
            parent.children.remove(basename(path))
        self.write_node(conn, tx, parent, no_quota=True)

    def _delete_subtree(self, conn: Connection | None,
                        tx: Transaction | None, path: str, root: str) -> None:
        # Post-order, children in order, each node read when the walk
        # reaches it (that order is a transaction's access order, hence
        # its commit-time event order), as the C daemon's tree walk.  An
        # explicit stack because paths may nest ~1000 levels deep.
        stack: list[tuple[str, Node | None]] = [(path, None)]
        while stack:
            name, node = stack.pop()
            if node is None:
                node = self.tree.get(name, tx)
                if node is None:
                    continue
                stack.append((name, node))
                stack.extend((child_path(name, child), None)
                             for child in reversed(node.children))
                continue
            self.tree.delete(name, tx)
            self.fire_watches(conn, tx, name, node, exact=name != root)

    # -- watches -------------------------------------------------------------

    def fire_watches(self, conn: Connection | None, tx: Transaction | None,
                     name: str, node: Node | None, exact: bool,
                     old_perms: tuple[Perm, ...] | None = None) -> None:
        if tx is not None:
            acc = tx.accessed.get(name)
            if acc is None:
                tx.fail = True
                return
            if not acc.fire_watch:
                acc.fire_watch, acc.watch_exact = True, exact
            elif not exact:
                acc.watch_exact = False
            return
        order = self._watcher_order
        if order is None:
            order = self._watcher_order = [
                self._watchers[k] for k in sorted(self._watchers)]
        for peer in order:
            if not peer.watches or peer.closed:
                continue
            if name.startswith("@"):
                special = self.special_perms.get(name)
                if special is None or not self.access(peer, special) & P.READ:
                    continue
            elif not self._watch_permitted(peer, name, node, old_perms):
                continue
            for watch in peer.watches.matching(name, exact):
                self.send_event(peer, watch.event_path(name), watch.token)

    def _watch_permitted(self, peer: Connection, name: str,
                         node: Node | None,
                         old_perms: tuple[Perm, ...] | None) -> bool:
        if old_perms is not None and self.access(peer, old_perms) & P.READ:
            return True
        if node is None:
            node = self.tree.get(name, None)
            if node is None:
                return False
        if self.access(peer, node.perms) & P.READ:
            return True
        parent = self.tree.get(parent_of(node.path), None)
        return parent is not None and bool(
            self.access(peer, parent.perms) & P.READ)

    def send_event(self, conn: Connection, path: str, token: bytes) -> None:
        payload = path.encode("latin-1") + b"\0" + token + b"\0"
        if len(payload) > 4096:
            return
        if not path.startswith("@"):
            queued = self._queued.setdefault(conn.serial, set())
            if payload in queued:
                return
            queued.add(payload)
        conn.send(Message(Op.WATCH_EVENT, 0, 0, payload))

    # -- in-process API for the hypervisor simulation ------------------------

    def notify(self, kind: str, domid: int) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, domid)
            except Exception:       # a bad listener must not break the daemon
                pass


_TABLE: dict[int, tuple[Handler, int]] = {}


def _handlers() -> dict[int, tuple[Handler, int]]:
    # Built on first use: the handler modules import this one.
    if not _TABLE:
        from .handlers import build_table
        _TABLE.update(build_table())
    return _TABLE


def one_path(engine: Engine, conn: Connection, msg: Message) -> str:
    return engine.resolve(conn, onearg(msg.payload))


__all__ = ["Engine", "DEFAULT_QUOTAS", "PRIV", "NOTID", "one_path", "ok"]
