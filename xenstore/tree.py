"""The node tree of the embedded xenstored, with transactions.

Nodes hold a value (bytes), a permission list, ordered child names and a
generation count.  Transactions follow the Xen 4.17 C daemon's model
(``xenstored_transaction.c``): a transaction does not snapshot the store;
it records every node it *accesses*.  Reads record the generation seen
(or "absent"), writes and deletes go to a private copy.  Commit fails
with EAGAIN when any node read in the transaction has changed since,
otherwise the private copies replace the global nodes.  Each write gets
a fresh value of one global generation counter, so generations also
serve ``DIRECTORY_PART``'s change detection.

No permission or quota policy lives here; see :mod:`xenstore.engine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import XsError
from .perms import NONE, Perm

NO_GENERATION = -1


@dataclass
class Node:
    """One node.  Treat as immutable once stored: copy, then modify."""

    path: str
    value: bytes = b""
    perms: tuple[Perm, ...] = (Perm(NONE, 0),)
    children: list[str] = field(default_factory=list)
    generation: int = 0

    def copy(self) -> "Node":
        return Node(self.path, self.value, self.perms, list(self.children),
                    self.generation)

    @property
    def owner(self) -> int:
        return self.perms[0].domid

    def record_size(self) -> int:
        """Size of the C daemon's TDB record, used for the node-size quota:
        24-byte header, 8 bytes per permission, data, NUL-separated
        child names."""
        return (24 + 8 * len(self.perms) + len(self.value)
                + sum(len(c) + 1 for c in self.children))


@dataclass
class Accessed:
    """A node touched by a transaction."""

    generation: int = NO_GENERATION
    check_gen: bool = False
    modified: bool = False
    node: Node | None = None        # the transaction's view; None = absent
    fire_watch: bool = False
    watch_exact: bool = True
    old_perms: tuple[Perm, ...] | None = None


@dataclass
class Transaction:
    """An open transaction of one connection."""

    tx_id: int
    generation: int
    accessed: dict[str, Accessed] = field(default_factory=dict)
    fail: bool = False
    node_created: bool = False
    max_nodes: int | None = None    # transaction-nodes quota (unprivileged)

    def track(self, path: str) -> Accessed:
        """The access record of ``path``, created on first access."""
        acc = self.accessed.get(path)
        if acc is None:
            if self.max_nodes is not None and \
                    len(self.accessed) >= self.max_nodes:
                self.fail = True
                raise XsError("ENOSPC")
            acc = self.accessed[path] = Accessed()
        return acc


def parent_of(path: str) -> str:
    cut = path.rfind("/")
    return "/" if cut <= 0 else path[:cut]


def basename(path: str) -> str:
    return path[path.rfind("/") + 1:]


def child_path(parent: str, name: str) -> str:
    return "/" + name if parent == "/" else f"{parent}/{name}"


class Tree:
    """The committed store plus the generation counter."""

    def __init__(self) -> None:
        self.generation = 0
        self.nodes: dict[str, Node] = {}
        self.entries: dict[int, int] = {}   # nodes owned, per domid
        # The C daemon's initial layout (setup_structure): / -> tool ->
        # xenstored, all owned by dom0 with no access for others.
        self._store(Node("/", children=["tool"]))
        self._store(Node("/tool", children=["xenstored"]))
        self._store(Node("/tool/xenstored"))

    def next_generation(self) -> int:
        self.generation += 1
        return self.generation

    # -- raw global access (no transaction) ---------------------------------

    def _store(self, node: Node) -> None:
        old = self.nodes.get(node.path)
        if old is not None:
            self._count(old.owner, -1)
        self.nodes[node.path] = node
        self._count(node.owner, +1)

    def _drop(self, path: str) -> None:
        old = self.nodes.pop(path, None)
        if old is not None:
            self._count(old.owner, -1)

    def _count(self, domid: int, delta: int) -> None:
        self.entries[domid] = self.entries.get(domid, 0) + delta

    # -- access through an optional transaction -----------------------------

    def get(self, path: str, tx: Transaction | None) -> Node | None:
        """Read a node; inside a transaction the read is recorded."""
        if tx is None:
            return self.nodes.get(path)
        acc = tx.accessed.get(path)
        if acc is not None:
            return acc.node
        node = self.nodes.get(path)
        acc = tx.track(path)
        acc.generation = node.generation if node else NO_GENERATION
        acc.check_gen = True
        acc.node = node.copy() if node else None
        acc.old_perms = node.perms if node else None
        return acc.node

    def put(self, node: Node, tx: Transaction | None) -> None:
        """Write a node (the caller passes a fresh or copied Node)."""
        node.generation = self.next_generation()
        if tx is None:
            self._store(node)
            return
        acc = tx.track(node.path)
        acc.modified = True
        acc.node = node

    def delete(self, path: str, tx: Transaction | None) -> None:
        self.next_generation()
        if tx is None:
            self._drop(path)
            return
        acc = tx.track(path)
        acc.modified = True
        acc.node = None

    # -- transactions --------------------------------------------------------

    def begin(self, tx_id: int) -> Transaction:
        return Transaction(tx_id, self.next_generation())

    def conflicts(self, tx: Transaction) -> bool:
        """True when a node the transaction read has changed since."""
        for path, acc in tx.accessed.items():
            if not acc.check_gen:
                continue
            cur = self.nodes.get(path)
            gen = cur.generation if cur is not None else NO_GENERATION
            if gen != acc.generation:
                return True
        return False

    def entry_counts_after(self, tx: Transaction) -> dict[int, int]:
        """Per-domain node counts the commit would produce (changed
        domains only), for the nodes-per-domain quota."""
        delta: dict[int, int] = {}
        for path, acc in tx.accessed.items():
            if not acc.modified:
                continue
            old = self.nodes.get(path)
            if old is not None:
                delta[old.owner] = delta.get(old.owner, 0) - 1
            if acc.node is not None:
                delta[acc.node.owner] = delta.get(acc.node.owner, 0) + 1
        return {d: self.entries.get(d, 0) + n for d, n in delta.items()}

    def commit(self, tx: Transaction) -> list[tuple[str, bool,
                                                     tuple[Perm, ...] | None]]:
        """Apply a conflict-free transaction; returns the watch events to
        fire as ``(path, exact, old_perms)`` in access order."""
        events = []
        for path, acc in tx.accessed.items():
            if acc.modified:
                if acc.node is not None:
                    acc.node.generation = self.next_generation()
                    self._store(acc.node)
                else:
                    self._drop(path)
            if acc.fire_watch:
                events.append((path, acc.watch_exact, acc.old_perms))
        return events
