"""Run one scripted sequence of requests against a daemon, for diffing.

A script is a list of steps ``(conn, op, payload, tx)``: ``conn`` picks
one of several client connections, ``tx`` is None or the index (within
the same connection's script) of an earlier TRANSACTION_START step whose
returned id is used.  After every step each connection sends a cheap
"ping" request, so watch events queued before it arrive first; events
are recorded per step.  Results are normalised where daemons may
legitimately differ (DIRECTORY_PART generation counts).
"""

from __future__ import annotations

from typing import Any, Callable

from xenstore.wire import Op, join

from xs_harness import RawClient

Step = tuple[int, int, bytes, "int | None"]
PING = (Op.GET_DOMAIN_PATH, join(b"0"))
GUEST_DOMID = 3


def normalise(op: int, payload: bytes) -> tuple[str, bytes]:
    name = Op(op).name if op in Op._value2member_map_ else str(op)
    if op == Op.DIRECTORY_PART:
        _gen, _, rest = payload.partition(b"\0")
        payload = b"<gen>\0" + rest
    return name, payload


def run_script(socket_path: str, script: list[Step], conns: int = 2,
               guest: Callable[[], Any] | None = None) -> list[Any]:
    """With ``guest``, domain GUEST_DOMID is introduced first and the
    client ``guest()`` returns becomes connection number ``conns``."""
    clients: list[Any] = [RawClient(socket_path) for _ in range(conns)]
    if guest is not None:
        clients[0].request(Op.INTRODUCE,
                           join(str(GUEST_DOMID).encode(), b"0", b"5"))
        clients.append(guest())
    tx_ids: dict[int, int] = {}
    results: list[Any] = []
    try:
        for index, (ci, op, payload, tx) in enumerate(script):
            tx_id = tx_ids.get(tx, 0xDEAD) if tx is not None else 0
            rop, rpayload = clients[ci].request(op, payload, tx_id)
            if op == Op.TRANSACTION_START and rop == op:
                tx_ids[index] = int(rpayload.rstrip(b"\0"))
            events = []
            for client in clients:
                client.request(*PING)
                events.append(client.events)
                client.events = []
            results.append((index, Op(op).name if op in
                            Op._value2member_map_ else op,
                            normalise(rop, rpayload), events))
    finally:
        for client in clients:
            client.close()
    return results


def first_difference(a: list[Any], b: list[Any]) -> str | None:
    for x, y in zip(a, b):
        if x != y:
            return f"step {x[0]} {x[1]}: embedded {x[2:]} != C {y[2:]}"
    if len(a) != len(b):
        return f"lengths differ: {len(a)} != {len(b)}"
    return None
