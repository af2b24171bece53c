"""The Store interface: one contract run against MemoryStore and PyxsStore
(on the embedded daemon), plus each implementation's own guarantees."""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator

import pytest

from xenstore.client import PyxsStore
from xenstore.errors import (StoreConnectionError, StoreTimeout,
                             TransactionConflict, XsError)
from xenstore.memory import MemoryStore
from xenstore.server import EmbeddedXenstored
from xenstore.store import Store, StoreOps, WatchEvent


@pytest.fixture(params=["memory", "pyxs", "inprocess"])
def store(request: pytest.FixtureRequest,
          embedded: EmbeddedXenstored) -> Iterator[Store]:
    s: Store
    if request.param == "memory":
        s = MemoryStore()
    elif request.param == "inprocess":
        s = embedded.store()
    else:
        s = PyxsStore(embedded.socket_path, timeout=5)
    yield s
    s.close()


def wait_for(cond: object, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():       # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met")
        time.sleep(0.01)


def test_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


def test_read_write_list_exists_rm(store: Store) -> None:
    assert store.read("/vm/x/name") is None
    store.write("/vm/x/name", "web1")
    store.write("/vm/x/empty", "")
    store.write("/vm/x/utf", "h\u00e9")
    assert store.read("/vm/x/name") == "web1"
    assert store.read("/vm/x/empty") == ""
    assert store.read("/vm/x/utf") == "h\u00e9"
    assert store.list("/vm/x") == ["name", "empty", "utf"]
    assert store.list("/vm/missing") == []
    assert store.exists("/vm/x") and not store.exists("/vm/y")
    store.mkdir("/vm/x/dir")
    assert store.read("/vm/x/dir") == ""
    store.rm("/vm/x")
    store.rm("/vm/x")               # absent: fine
    store.rm("/no/such/parent")     # absent parent: still no error
    assert store.read("/vm/x/name") is None


def test_permissions(store: Store) -> None:
    store.write("/p", "v")
    assert store.get_perms("/p") == ["n0"]
    store.set_perms("/p", ["n0", "r7"])
    assert store.get_perms("/p") == ["n0", "r7"]
    with pytest.raises(XsError) as err:
        store.set_perms("/p", ["x7"])
    assert err.value.name == "EINVAL"
    with pytest.raises(XsError):
        store.get_perms("/missing")


def test_transactions_commit_abort_and_retry(store: Store) -> None:
    store.write("/t/n", "0")
    with store.transaction() as t:
        t.write("/t/n", "1")
        assert t.read("/t/n") == "1"
        assert store.read("/t/n") == "0"      # not visible outside yet
    assert store.read("/t/n") == "1"

    with pytest.raises(RuntimeError):
        with store.transaction() as t:
            t.write("/t/n", "2")
            raise RuntimeError("abort")
    assert store.read("/t/n") == "1"

    with pytest.raises(TransactionConflict):
        with store.transaction() as t:
            t.read("/t/n")
            store.write("/t/n", "other")
            t.write("/t/m", "x")

    calls = []

    def body(ops: StoreOps) -> None:
        calls.append(1)
        value = ops.read("/t/n")
        if len(calls) == 1:
            store.write("/t/n", "interfering")
        ops.write("/t/n", f"{value}+1")

    store.run_transaction(body)
    assert len(calls) == 2
    assert store.read("/t/n") == "interfering+1"


def test_watches(store: Store) -> None:
    events: list[WatchEvent] = []
    store.watch("/w", "tok", events.append)
    wait_for(lambda: len(events) == 1)
    assert events[0] == WatchEvent("/w", "tok")
    store.write("/w/a", "1")
    with store.transaction() as t:
        t.write("/w/b", "2")
    store.rm("/w")
    wait_for(lambda: len(events) == 4)
    assert [e.path for e in events] == ["/w", "/w/a", "/w/b", "/w"]
    with pytest.raises(XsError) as err:
        store.watch("/w", "tok", lambda e: None)
    assert err.value.name == "EEXIST"
    store.write("/w/d", "4")                # still delivered to events
    wait_for(lambda: len(events) == 5)
    store.unwatch("/w", "tok")
    store.write("/w/c", "3")
    time.sleep(0.1)
    assert len(events) == 5


def test_domains(store: Store) -> None:
    assert store.get_domain_path(3) == "/local/domain/3"
    released: list[WatchEvent] = []
    store.watch("@releaseDomain", "rel", released.append)
    store.introduce_domain(9, 0, 5)
    store.write("/local/domain/9/data", "x")
    store.set_perms("/local/domain/9", ["n9"])
    store.release_domain(9)
    wait_for(lambda: len(released) == 2)
    assert store.read("/local/domain/9/data") is None
    with pytest.raises(XsError) as err:
        store.release_domain(9)
    assert err.value.name == "ENOENT"


def test_memory_store_domain_view_is_unprivileged() -> None:
    dom0 = MemoryStore()
    dom0.introduce_domain(5, 0, 1)
    dom0.write("/local/domain/5/name", "guest")
    dom0.set_perms("/local/domain/5", ["n0", "r5"])
    guest = dom0.as_domain(5)
    assert guest.list("/local/domain/5") == ["name"]
    with pytest.raises(XsError) as err:
        guest.read("/local/domain/5/name")      # still n0 only
    assert err.value.name == "EACCES"
    with pytest.raises(XsError) as err:
        guest.write("/local/domain/5/new", "x")
    assert err.value.name == "EACCES"
    dom0.write("/local/domain/5/data/x", "1")
    dom0.set_perms("/local/domain/5/data", ["n5"])
    guest.write("/local/domain/5/data/y", "2")
    assert dom0.get_perms("/local/domain/5/data/y") == ["n5"]
    with pytest.raises(XsError) as err:
        guest.set_perms("/local/domain/5/data", ["n0"])
    assert err.value.name == "EPERM"
    with pytest.raises(XsError) as err:
        guest.write("/local/domain/5/data/big", "x" * 2100)
    assert err.value.name == "ENOSPC"       # node-size quota


def test_memory_store_events_are_synchronous_across_handles() -> None:
    a = MemoryStore()
    b = a.connect()
    seen: list[WatchEvent] = []
    a.watch("/s", "t", seen.append)
    assert seen == [WatchEvent("/s", "t")]
    b.write("/s/x", "1")
    assert seen[-1] == WatchEvent("/s/x", "t")


def test_pyxs_store_times_out_on_a_silent_daemon(tmp_path: object) -> None:
    import tempfile
    with tempfile.TemporaryDirectory(prefix="xs") as d:
        path = f"{d}/silent"
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        listener.listen(1)
        store = PyxsStore(path, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(StoreTimeout):
            store.read("/x")
        assert time.monotonic() - started < 2
        store.close()
        listener.close()


def test_pyxs_store_fails_fast_when_daemon_goes_away() -> None:
    import tempfile
    with tempfile.TemporaryDirectory(prefix="xs") as d:
        server = EmbeddedXenstored(f"{d}/s").start()
        store = PyxsStore(server.socket_path, timeout=5)
        store.write("/a", "1")
        server.stop()
        started = time.monotonic()
        with pytest.raises((StoreConnectionError, StoreTimeout)):
            for _ in range(3):
                store.read("/a")
        assert time.monotonic() - started < 6
        store.close()
    with pytest.raises(StoreConnectionError):
        PyxsStore(f"{d}/gone")


def test_pyxs_store_concurrent_threads(embedded: EmbeddedXenstored) -> None:
    store = PyxsStore(embedded.socket_path)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                store.write(f"/c/{n}/{i}", str(i))
                assert store.read(f"/c/{n}/{i}") == str(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(store.list("/c")) == 4
    store.close()
