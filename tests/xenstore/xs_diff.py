"""Helpers shared by the differential test files: compare one script on
the embedded daemon and on the C daemon, with or without a guest."""

from __future__ import annotations

import tempfile
from pathlib import Path

from xenstore.server import EmbeddedXenstored
from xenstore.wire import Op

from xs_harness import CXenstored, EngineDomainClient, RingClient
from xs_script import GUEST_DOMID, Step, first_difference, run_script

R, W, MK, RM, DIR = Op.READ, Op.WRITE, Op.MKDIR, Op.RM, Op.DIRECTORY
GP, SP, WA, UW = Op.GET_PERMS, Op.SET_PERMS, Op.WATCH, Op.UNWATCH
TS, TE = Op.TRANSACTION_START, Op.TRANSACTION_END

VALUES = [b"", b"v", b"value-2", b"\x00zero"]
TOKENS = [b"t1", b"t2"]

RawStep = tuple[int, int, bytes, "int | None"]


def w(path: bytes, value: bytes) -> bytes:
    """A WRITE payload: path, NUL, value (not NUL-terminated)."""
    return path + b"\0" + value


def compare(c_daemon: CXenstored, embedded: EmbeddedXenstored,
            script: list[Step], conns: int = 2, guest: bool = False) -> None:
    """With ``guest``, connection ``conns`` is domain 3 (unprivileged)."""
    ours = run_script(embedded.socket_path, script, conns,
                      (lambda: EngineDomainClient(embedded, GUEST_DOMID))
                      if guest else None)
    theirs = run_script(c_daemon.socket_path, script, conns,
                        (lambda: RingClient(c_daemon, GUEST_DOMID))
                        if guest else None)
    diff = first_difference(ours, theirs)
    assert diff is None, diff


def resolve_tx(raw: list[RawStep]) -> list[Step]:
    """Replace tx=-1 by the index of the connection's latest START."""
    latest: dict[int, int] = {}
    out: list[Step] = []
    for index, (conn, op, payload, tx) in enumerate(raw):
        if op == TS:
            latest[conn] = index
        ref = latest.get(conn) if tx == -1 else None
        out.append((conn, op, payload, ref))
    return out


def compare_fresh(shim_lib: Path, raw: list[RawStep], guest: bool) -> None:
    """Compare on a fresh pair of daemons (for hypothesis examples)."""
    with tempfile.TemporaryDirectory(prefix="xsd") as d:
        c_daemon = CXenstored(Path(d) / "c", shim_lib)
        server = EmbeddedXenstored(str(Path(d) / "emb")).start()
        try:
            compare(c_daemon, server, resolve_tx(raw), guest=guest)
        finally:
            server.stop()
            c_daemon.stop()
