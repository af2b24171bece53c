"""The embedded server: robustness, lifecycle and the in-process domain API."""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import sys
import tempfile

from xenstore.client import PyxsStore
from xenstore.server import EmbeddedXenstored
from xenstore.wire import Op, join

from xs_harness import RawClient, wait_for_socket


def test_malformed_packet_closes_only_that_connection(
        embedded: EmbeddedXenstored) -> None:
    good = RawClient(embedded.socket_path)
    bad = socket.socket(socket.AF_UNIX)
    bad.connect(embedded.socket_path)
    bad.sendall(struct.pack("=IIII", Op.WRITE, 1, 0, 100000) + b"junk")
    bad.settimeout(5)
    assert bad.recv(100) == b""             # dropped by the daemon
    bad.close()
    assert good.request(Op.WRITE, b"/ok\0yes") == (Op.WRITE, b"OK\0")
    assert good.request(Op.READ, join(b"/ok")) == (Op.READ, b"yes")
    # Unknown ops and garbage payloads are answered, not fatal.
    assert good.request(200, b"\xff\xfe") == (Op.ERROR, b"ENOSYS\0")
    assert good.request(Op.READ, b"\xff\xfe")[0] == Op.ERROR
    good.close()


def test_half_sent_packet_then_disconnect(embedded: EmbeddedXenstored
                                          ) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.connect(embedded.socket_path)
    s.sendall(struct.pack("=IIII", Op.READ, 1, 0, 10) + b"/a")
    s.close()
    client = RawClient(embedded.socket_path)
    assert client.request(Op.DIRECTORY, join(b"/"))[0] == Op.DIRECTORY
    client.close()


def test_domain_api_fires_special_watches_and_listeners(
        embedded: EmbeddedXenstored) -> None:
    seen: list[tuple[str, int]] = []
    embedded.add_domain_listener(lambda kind, domid: seen.append(
        (kind, domid)))
    client = RawClient(embedded.socket_path)
    client.request(Op.WATCH, join(b"@introduceDomain", b"i"))
    client.request(Op.WATCH, join(b"@releaseDomain", b"r"))
    client.drain_events()
    embedded.introduce_domain(4)
    assert embedded.is_domain_introduced(4)
    assert client.request(Op.IS_DOMAIN_INTRODUCED, join(b"4")) == \
        (Op.IS_DOMAIN_INTRODUCED, b"T\0")
    embedded.shutdown_domain(4)
    embedded.shutdown_domain(4)             # once until RESUME
    client.request(Op.RESUME, join(b"4"))
    embedded.shutdown_domain(4)
    client.request(Op.RELEASE, join(b"4"))  # over the wire: same hooks
    events = client.drain_events()
    assert events == [(b"@introduceDomain", b"i"), (b"@releaseDomain", b"r"),
                      (b"@releaseDomain", b"r"), (b"@releaseDomain", b"r")]
    assert seen == [("introduce", 4), ("shutdown", 4), ("shutdown", 4),
                    ("release", 4)]
    assert not embedded.is_domain_introduced(4)
    client.close()


def test_domain_store_acts_as_the_guest(embedded: EmbeddedXenstored) -> None:
    dom0 = PyxsStore(embedded.socket_path)
    embedded.introduce_domain(6)
    dom0.write("/local/domain/6/control/shutdown", "")
    dom0.set_perms("/local/domain/6/control/shutdown", ["n6"])
    guest = embedded.domain_store(6)
    assert guest.read("/local/domain/6/control/shutdown") == ""
    guest.write("/local/domain/6/control/shutdown", "poweroff")
    assert dom0.read("/local/domain/6/control/shutdown") == "poweroff"
    guest.close()
    dom0.close()


def test_attached_to_a_running_loop() -> None:
    async def scenario(path: str) -> None:
        server = EmbeddedXenstored(path, loop=asyncio.get_running_loop())
        await server.start_async()
        server.introduce_domain(3)      # called on the loop: runs inline
        store = await asyncio.to_thread(PyxsStore, path)
        await asyncio.to_thread(store.write, "/l", "1")
        assert await asyncio.to_thread(store.read, "/l") == "1"
        await asyncio.to_thread(store.close)
        await server.stop_async()

    with tempfile.TemporaryDirectory(prefix="xs") as d:
        asyncio.run(scenario(f"{d}/s"))


def test_standalone_module_serves() -> None:
    with tempfile.TemporaryDirectory(prefix="xs") as d:
        path = f"{d}/s"
        proc = subprocess.Popen([sys.executable, "-m", "xenstore.server",
                                 "--socket", path],
                                stdout=subprocess.DEVNULL)
        try:
            wait_for_socket(path, proc)
            client = RawClient(path)
            assert client.request(Op.GET_DOMAIN_PATH, join(b"2")) == \
                (Op.GET_DOMAIN_PATH, b"/local/domain/2\0")
            client.close()
        finally:
            proc.terminate()
            assert proc.wait(timeout=10) == 0


def test_client_that_does_not_read_is_throttled_not_fatal(
        embedded: EmbeddedXenstored) -> None:
    import threading
    from xenstore.wire import Decoder, Message, encode
    count = 8000
    greedy = socket.socket(socket.AF_UNIX)
    greedy.connect(embedded.socket_path)
    burst = b"".join(encode(Op.READ, i, 0, join(b"/tool"))
                     for i in range(count))
    sender = threading.Thread(target=greedy.sendall, args=(burst,))
    sender.start()
    other = RawClient(embedded.socket_path)
    assert other.request(Op.WRITE, b"/still\0up") == (Op.WRITE, b"OK\0")
    other.close()
    decoder = Decoder()
    replies: list[Message] = []
    greedy.settimeout(10)
    while len(replies) < count:
        replies.extend(decoder.feed(greedy.recv(65536)))
    sender.join(timeout=10)
    assert [m.req_id for m in replies] == list(range(count))
    assert all(m.op == Op.READ for m in replies)
    greedy.close()
