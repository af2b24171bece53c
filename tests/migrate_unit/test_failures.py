"""Two failures the fault campaign (tests/migrate/test_migrate_faults.py)
found, on the smallest pieces that show them.

* The image pump's connection breaks: the backend's next write fails with
  EPIPE, and the error must name the connection, not the backend's pipe.
* A migration committed here must never be undone by a later failure on
  its connection (the result not delivered): the sender, told "committed"
  when it asks, destroys its copy.
* A sender that cannot learn the outcome after the go hands the resolver a
  record that says "go" (it used to say "sending", and the resolver
  resumed the copy here while the destination ran its own: two copies),
  and the resolver ends the journal records it resolves.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, cast

import pytest

from xend.errors import ConnectionFailed, DomainNotFound, XendError
from xend.migrate import recovery, send
from xend.migrate.channel import Channel
from xend.migrate.outcomes import ABORTED, COMMITTED, Outcomes
from xend.migrate.receive import Incoming, Receiver
from xend.model.domconfig import DomainConfig


def test_image_writer_blames_the_lost_connection() -> None:
    ours, peer = socket.socketpair()
    peer.close()                            # the connection is gone
    channel = Channel(ours, "hostb")
    with pytest.raises(ConnectionFailed) as info:
        with channel.image_writer() as stream:
            for _ in range(64):             # more than the pipes hold
                stream.write(b"x" * 65536)
    assert str(info.value).startswith("connection lost: ")
    assert str(info.value).endswith("(from hostb)")
    ours.close()


class FakeManager:
    def __init__(self) -> None:
        self.destroyed: list[int] = []
        self.ended: list[str] = []

    def destroy_incoming(self, domid: int) -> None:
        self.destroyed.append(domid)

    def end_record(self, key: str) -> None:
        self.ended.append(key)


def incoming(decided: str | None) -> Incoming:
    cfg = DomainConfig(name="web", uuid="0b5e3a4e-1111-2222-3333-444455556666")
    inc = Incoming("a" * 32, cfg, None, False, domid=7)
    inc.decided = decided
    return inc


@pytest.mark.parametrize("decided, destroyed, outcome", [
    (COMMITTED, [], COMMITTED),
    (None, [7], ABORTED),
])
def test_abort_never_undoes_a_commit(tmp_path: Path, decided: str | None,
                                     destroyed: list[int],
                                     outcome: str) -> None:
    manager: Any = FakeManager()
    outcomes = Outcomes(str(tmp_path))
    receiver = Receiver(manager, outcomes)
    inc = incoming(decided)
    if decided is not None:
        outcomes.record(inc.mid, decided, str(inc.config.uuid), "web")
    receiver.abort(inc, ConnectionFailed("connection lost: reset"))
    assert manager.destroyed == destroyed
    assert outcomes.get(inc.mid) == outcome
    assert inc.decided == outcome


# -- the outcome unknown after the go (the destination down for long) --------

class FakeChannel:
    def send_message(self, obj: dict[str, Any]) -> None:
        pass

    def settimeout(self, seconds: float) -> None:
        pass

    def expect(self, word: str) -> dict[str, Any]:
        raise ConnectionFailed("connection lost: closed by the peer")

    def close(self) -> None:
        pass


class Unreachable:
    host = "hostb"

    def ask_outcome(self, mid: str) -> str:
        raise ConnectionFailed("cannot connect to the relocation server")


class SendingManager(FakeManager):
    def __init__(self) -> None:
        super().__init__()
        self.journal = self
        self.hv = self
        self.stages: list[str] = []
        self.names: list[str] = []
        self.table = self
        self.entries: dict[str, Any] = {}

    def begin(self, key: str, record: dict[str, Any]) -> None:
        self.stages.append(record["stage"])

    def rename(self, domid: int, name: str) -> None:
        self.names.append(name)

    def domain_info(self, domid: int) -> Any:
        raise DomainNotFound(domid)


def test_an_unresolved_migration_reaches_the_resolver_as_go(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver undoes a record before the go without asking: the
    record it gets after the go must say go, as the journal does."""
    monkeypatch.setattr(send, "RESOLVE_SECONDS", 0.0)
    manager: Any = SendingManager()
    handed: list[dict[str, Any]] = []
    sender = send.Sender(manager, on_unresolved=handed.append)
    entry: Any = type("Entry", (), {"name": "web", "uuid": "u1"})()
    record = {"op": "migrate-out", "uuid": "u1", "name": "web", "domid": 7,
              "id": "a" * 32, "stage": "sending"}
    with pytest.raises(XendError, match="kept suspended as web--migratedaway"):
        sender._go(cast(Any, FakeChannel()), entry, 7, "u1.migrate-out",
                   record, cast(Any, Unreachable()))
    assert manager.stages == ["go"] and manager.names == ["web--migratedaway"]
    assert [r["stage"] for r in handed] == ["go"]


def test_the_resolver_ends_the_records_it_resolves(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recovery, "RETRY_SECONDS", 0.01)
    manager: Any = SendingManager()
    resolver = recovery.Resolver(manager, cast(Any, None), lambda r: None)
    resolver.add({"op": "migrate-out", "uuid": "u1", "name": "web",
                  "domid": 7, "id": "a" * 32, "stage": "go"})
    thread = resolver.thread
    assert thread is not None
    thread.join(5)
    assert not resolver.pending     # the domain is gone: dropped
    assert manager.ended == ["u1.migrate-out"]
