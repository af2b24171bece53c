"""Request handlers for node, watch and transaction messages.

Each handler takes ``(engine, conn, tx, msg)`` and returns the reply
payload or raises :class:`~xenstore.errors.XsError`.  ``HANDLERS`` maps
every message type the 4.17 C daemon accepts to its handler and flags;
anything else is answered with ENOSYS by the engine.
"""

from __future__ import annotations

from . import perms as P
from .connection import Connection, Watch
from .engine import NOTID, PRIV, Engine, Handler, one_path
from .errors import XsError
from .tree import Transaction, parent_of
from .wire import (Message, Op, REL_PATH_MAX, c_atoi, join, ok, onearg,
                   strings)


def do_read(e: Engine, c: Connection, tx: Transaction | None,
            m: Message) -> bytes:
    return e.get_node(c, tx, one_path(e, c, m), P.READ).value


def do_directory(e: Engine, c: Connection, tx: Transaction | None,
                 m: Message) -> bytes:
    node = e.get_node(c, tx, one_path(e, c, m), P.READ)
    return join(*(n.encode("latin-1") for n in node.children))


def do_directory_part(e: Engine, c: Connection, tx: Transaction | None,
                      m: Message) -> bytes:
    if m.payload.count(b"\0") != 2:
        raise XsError("EINVAL")
    name, offset = m.payload.split(b"\0")[:2]
    node = e.get_node(c, tx, e.resolve(c, name), P.READ)
    off = c_atoi(offset)        # unsigned in C: negatives are huge
    gen = str(node.generation).encode() + b"\0"
    children = join(*(n.encode("latin-1") for n in node.children))
    if off >= len(children):
        return gen + b"\0"
    # Whole names only, as many as fit (send_directory_part).
    maxlen = 4096 - len(gen) - 1
    length = 0
    pos = off
    while True:
        end = children.index(b"\0", pos)
        if length + (end - pos) >= maxlen:
            break
        length += end - pos + 1
        pos = end + 1
        if off + length == len(children):
            break
    data = gen + children[off:off + length]
    if off + length == len(children):
        data += b"\0"
    return data


def do_get_perms(e: Engine, c: Connection, tx: Transaction | None,
                 m: Message) -> bytes:
    node = e.get_node(c, tx, one_path(e, c, m), P.READ)
    return join(*(str(p).encode() for p in node.perms))


def do_write(e: Engine, c: Connection, tx: Transaction | None,
             m: Message) -> bytes:
    if b"\0" not in m.payload:
        raise XsError("EINVAL")
    raw, value = m.payload.split(b"\0", 1)
    path = e.resolve(c, raw)
    try:
        node = e.get_node(c, tx, path, P.WRITE).copy()
    except XsError as err:
        if err.name != "ENOENT":
            raise
        node = e.create_node(c, tx, path, value)
    else:
        node.value = value
        e.write_node(c, tx, node)
    e.fire_watches(c, tx, path, node, exact=False)
    return ok()


def do_mkdir(e: Engine, c: Connection, tx: Transaction | None,
             m: Message) -> bytes:
    path = one_path(e, c, m)
    try:
        e.get_node(c, tx, path, P.WRITE)
    except XsError as err:
        if err.name != "ENOENT":
            raise
        node = e.create_node(c, tx, path, b"")
        e.fire_watches(c, tx, path, node, exact=False)
    return ok()


def do_rm(e: Engine, c: Connection, tx: Transaction | None,
          m: Message) -> bytes:
    path = one_path(e, c, m)
    try:
        e.get_node(c, tx, path, P.WRITE)
    except XsError as err:
        if err.name != "ENOENT":
            raise
        # Absent is fine if the parent exists.
        if e.tree.get(parent_of(path), tx) is not None:
            return ok()
        raise
    if path == "/":
        raise XsError("EINVAL")
    e.rm_node(c, tx, path)
    return ok()


def do_set_perms(e: Engine, c: Connection, tx: Transaction | None,
                 m: Message) -> bytes:
    num = m.payload.count(b"\0")
    if num < 2:
        raise XsError("EINVAL")
    num -= 1
    if e.is_unprivileged(c) and num > e.quotas["permissions"]:
        raise XsError("ENOSPC")
    parts = m.payload.split(b"\0")
    try:
        new = tuple(P.parse(p.decode("latin-1")) for p in parts[1:num + 1])
    except P.PermError:
        raise XsError("EINVAL") from None
    name = parts[0].decode("latin-1")
    if name.startswith("@"):
        special = e.special_perms.get(name)
        if special is None:
            # The C daemon means EINVAL but returns a stale errno, which
            # is ENOENT from its preceding database lookups.
            raise XsError("ENOENT")
        if e.access(c, special) & (P.WRITE | P.OWNER) != P.WRITE | P.OWNER:
            raise XsError("EACCES")
        e.special_perms[name] = list(new)
        return ok()
    path = e.resolve(c, parts[0])
    node = e.get_node(c, tx, path, P.WRITE | P.OWNER).copy()
    if e.is_unprivileged(c) and new[0].domid != node.owner:
        raise XsError("EPERM")
    old = node.perms
    node.perms = new
    e.write_node(c, tx, node)
    e.fire_watches(c, tx, path, node, exact=False, old_perms=old)
    return ok()


def do_watch(e: Engine, c: Connection, tx: Transaction | None,
             m: Message) -> bytes:
    args = strings(m.payload)
    if len(args) != 2:
        raise XsError("EINVAL")
    name = args[0].decode("latin-1")
    relative = None
    if name.startswith("@"):
        if len(name) > REL_PATH_MAX:
            raise XsError("EINVAL")
    else:
        if not name.startswith("/"):
            relative = c.implicit_path()
        name = e.canonical(c, name)
        if not e.valid_path(name):
            raise XsError("EINVAL")
    if c.watches.find(name, args[1]) is not None:
        raise XsError("EEXIST")
    if e.is_unprivileged(c) and len(c.watches) > e.quotas["watches"]:
        raise XsError("E2BIG")
    c.watches.append(Watch(name, args[1], relative))
    e.add_watcher(c)
    return ok()     # the engine sends the initial event after the reply


def do_unwatch(e: Engine, c: Connection, tx: Transaction | None,
               m: Message) -> bytes:
    args = strings(m.payload)
    if len(args) != 2:
        raise XsError("EINVAL")
    name = e.canonical(c, args[0].decode("latin-1"))
    watch = c.watches.find(name, args[1])
    if watch is None:
        raise XsError("ENOENT")
    c.watches.remove(watch)
    return ok()


def do_transaction_start(e: Engine, c: Connection, tx: Transaction | None,
                         m: Message) -> bytes:
    if tx is not None:
        raise XsError("EBUSY")      # no nesting
    if e.is_unprivileged(c) and len(c.transactions) > e.quotas[
            "transactions"]:
        raise XsError("ENOSPC")
    # Ids count up per connection from 1, skipping 0 and ids in use.
    while True:
        tx_id = c.next_tx_id
        c.next_tx_id = (c.next_tx_id + 1) & 0xFFFFFFFF
        if tx_id and tx_id not in c.transactions:
            break
    tx = c.transactions[tx_id] = e.tree.begin(tx_id)
    if e.is_unprivileged(c):
        tx.max_nodes = e.quotas["transaction-nodes"]
    return str(tx_id).encode() + b"\0"


def do_transaction_end(e: Engine, c: Connection, tx: Transaction | None,
                       m: Message) -> bytes:
    arg = onearg(m.payload)
    if arg not in (b"T", b"F"):
        raise XsError("EINVAL")
    if tx is None:
        raise XsError("ENOENT")
    del c.transactions[tx.tx_id]
    if arg == b"T":
        if tx.fail:
            raise XsError("ENOMEM")
        if tx.node_created and e.is_unprivileged(c):
            for domid, count in e.tree.entry_counts_after(tx).items():
                if domid not in (0, e.priv_domid) and \
                        count >= e.quotas["nodes"]:
                    raise XsError("ENOSPC")
        if e.tree.conflicts(tx):
            raise XsError("EAGAIN")
        for path, exact, old_perms in e.tree.commit(tx):
            e.fire_watches(c, None, path, None, exact, old_perms)
    return ok()


def do_reset_watches(e: Engine, c: Connection, tx: Transaction | None,
                     m: Message) -> bytes:
    c.watches.clear()
    c.transactions.clear()
    return ok()


def build_table() -> dict[int, tuple[Handler, int]]:
    from . import domains as D
    return {
        Op.CONTROL: (D.do_control, PRIV),
        Op.DIRECTORY: (do_directory, 0),
        Op.READ: (do_read, 0),
        Op.GET_PERMS: (do_get_perms, 0),
        Op.WATCH: (do_watch, NOTID),
        Op.UNWATCH: (do_unwatch, NOTID),
        Op.TRANSACTION_START: (do_transaction_start, 0),
        Op.TRANSACTION_END: (do_transaction_end, 0),
        Op.INTRODUCE: (D.do_introduce, PRIV),
        Op.RELEASE: (D.do_release, PRIV),
        Op.GET_DOMAIN_PATH: (D.do_get_domain_path, 0),
        Op.WRITE: (do_write, 0),
        Op.MKDIR: (do_mkdir, 0),
        Op.RM: (do_rm, 0),
        Op.SET_PERMS: (do_set_perms, 0),
        Op.IS_DOMAIN_INTRODUCED: (D.do_is_domain_introduced, PRIV),
        Op.RESUME: (D.do_resume, PRIV),
        Op.SET_TARGET: (D.do_set_target, PRIV),
        Op.RESET_WATCHES: (do_reset_watches, 0),
        Op.DIRECTORY_PART: (do_directory_part, 0),
    }
