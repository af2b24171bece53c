"""The image pumps both ways over a real TCP connection: the zero-copy one
(splice through a pipe, plain sockets) and the copying one (socket pair,
what TLS needs), byte for byte, and the peer's hang-up midway."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest

from xend.errors import ConnectionFailed
from xend.migrate import channel as channel_module
from xend.migrate.channel import Channel

IMAGE = os.urandom(3 << 20) + b"tail"        # several frames, an odd end


@pytest.fixture(params=["splice", "copy"])
def pair(request: pytest.FixtureRequest,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Channel, Channel]]:
    if request.param == "copy":
        monkeypatch.setattr(Channel, "can_splice", lambda self: False)
    listener = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(listener.getsockname())
    b, _ = listener.accept()
    listener.close()
    for s in (a, b):
        s.settimeout(10.0)
    yield Channel(a, "sender"), Channel(b, "receiver")
    a.close()
    b.close()


def _receive(ch: Channel, out: list[bytes]) -> None:
    with ch.image_reader() as stream:
        chunks = []
        while True:
            data = stream.read(100_000)
            if not data:
                break
            chunks.append(data)
    out.append(b"".join(chunks))


def test_an_image_crosses_whole(pair: tuple[Channel, Channel]) -> None:
    sender, receiver = pair
    got: list[bytes] = []
    thread = threading.Thread(target=_receive, args=(receiver, got))
    thread.start()
    with sender.image_writer() as stream:
        view = memoryview(IMAGE)
        while view:                 # uneven writes, as a backend makes
            stream.write(view[:77_777])
            view = view[77_777:]
    thread.join(timeout=30)
    assert got == [IMAGE]
    assert sender.sent >= len(IMAGE) and receiver.received >= len(IMAGE)
    # The connection carries on after the image: control frames follow.
    sender.send_message({"msg": "after"})
    assert receiver.read_message() == {"msg": "after"}


def test_a_peer_gone_midway_is_a_lost_connection(
        pair: tuple[Channel, Channel]) -> None:
    sender, receiver = pair
    receiver.sock.close()
    with pytest.raises(ConnectionFailed, match=r"^connection lost: .*\(from sender\)$"):
        with sender.image_writer() as stream:
            for _ in range(256):
                stream.write(b"x" * 65536)


def test_the_splice_path_is_what_plain_tcp_gets() -> None:
    a, b = socket.socketpair()
    try:
        assert Channel(a, "x").can_splice() == channel_module.zerocopy.available()
    finally:
        a.close()
        b.close()
