"""A refused relocation connection says why, over TLS too (loopback).

The relocation server (xend.migrate.server) runs on its own event loop in
a thread; the client side is the sender's :class:`Endpoint`, as in
``xm migrate``.  With TLS 1.3 a refused client certificate is only heard
at the client's first read, so the server must let its alert arrive (not
reset the connection) and the client must name it.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import threading
from typing import Callable, Iterator

import pytest

from tests.migrate.certs import Certs, KeyCert, make_certs
from tests.migrate.netns import Identity
from xend.errors import ConnectionFailed
from xend.migrate import frames, tls
from xend.migrate.channel import Channel
from xend.migrate.send import Endpoint
from xend.migrate.server import Listener, RelocationServer

SERVER = "127.0.0.2"            # host b's certificate names this address
REQUEST = frames.request_line("receive", protocol=frames.PROTOCOL,
                              id="ab" * 16)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    return make_certs(tmp_path_factory.mktemp("certs"),
                      [Identity("a", "127.0.0.1", "127.0.0.11"),
                       Identity("b", SERVER, "127.0.0.12")])


Serve = Callable[..., int]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(context=None, hosts_allow="") -> port``: a relocation
    server on 127.0.0.2 whose accepted connections get ``(ready)``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers: list[RelocationServer] = []

    def answer(channel: Channel) -> None:
        channel.read_line()
        channel.send(frames.READY)
        channel.close()

    def start(context: ssl.SSLContext | None = None,
              hosts_allow: str = "") -> int:
        with socket.socket() as probe:
            probe.bind((SERVER, 0))
            port = int(probe.getsockname()[1])
        server = RelocationServer([Listener(SERVER, port, context)],
                                  hosts_allow, answer)
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
        servers.append(server)
        return port

    yield start

    async def stop() -> None:
        for server in servers:
            server.stop()
    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def server_context(certs: Certs) -> ssl.SSLContext:
    pair = certs.hosts["b"]
    return tls.server_context(str(pair.cert), str(pair.key), str(certs.ca))


def endpoint(port: int, certs: Certs, use_tls: bool = True,
             client: KeyCert | None = None, own: bool = True) -> Endpoint:
    """Host a's sender towards the server; ``client`` replaces a's
    certificate, ``own=False`` presents none."""
    pair = client or certs.hosts["a"]
    cert, key = (str(pair.cert), str(pair.key)) if own else ("", "")
    return Endpoint(SERVER, port, use_tls, cert, key, str(certs.ca))


def first_answer(ep: Endpoint) -> bytes:
    """What the sender does first: connect, ask to send, read the answer."""
    channel = ep.connect(timeout=5)
    try:
        channel.settimeout(5)
        channel.send(REQUEST)
        return channel.read_line()
    finally:
        channel.close()


# ---------------------------------------------------------------- describe

def ssl_error(reason: str) -> ssl.SSLError:
    exc = ssl.SSLError(1, f"[SSL: {reason}] something (_ssl.c:1)")
    exc.reason = reason
    return exc


@pytest.mark.parametrize("reason,says", [
    ("TLSV1_ALERT_UNKNOWN_CA",
     "the peer refused this host's certificate: unknown ca"),
    ("SSLV3_ALERT_CERTIFICATE_EXPIRED",
     "the peer refused this host's certificate: certificate expired"),
    ("TLSV13_ALERT_CERTIFICATE_REQUIRED",
     "the peer requires a client certificate (set "
     "xend-relocation-server-ssl-cert-file"),
    ("PEER_DID_NOT_RETURN_A_CERTIFICATE",
     "the peer sent no client certificate"),
    ("WRONG_VERSION_NUMBER", "the peer did not answer in TLS"),
    ("NO_SHARED_CIPHER", "TLS failed: NO_SHARED_CIPHER"),
])
def test_describe_says_what_the_peer_meant(reason: str, says: str) -> None:
    text = tls.describe(ssl_error(reason))
    assert text.startswith("TLS failed: ") and says in text
    assert "_ssl.c" not in text


def test_a_lost_tls_connection_names_the_alert() -> None:
    channel = Channel(None, "hostb")  # type: ignore[arg-type]
    assert str(channel.lost(ssl_error("TLSV1_ALERT_UNKNOWN_CA"))) == \
        "TLS failed: the peer refused this host's certificate: unknown ca " \
        "(from hostb)"
    eof = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    assert str(channel.lost(eof)) == \
        "connection lost: closed by the peer (from hostb)"


# ---------------------------------------------------------------- over TLS

def test_good_certificates_get_ready(serve: Serve, certs: Certs) -> None:
    port = serve(server_context(certs))
    assert first_answer(endpoint(port, certs)) == frames.READY


@pytest.mark.parametrize("attempt", range(5))
def test_refused_client_certificate_is_heard(serve: Serve, certs: Certs,
                                             attempt: int) -> None:
    port = serve(server_context(certs))
    bad = endpoint(port, certs, client=certs.untrusted)
    with pytest.raises(ConnectionFailed) as err:
        first_answer(bad)
    assert str(err.value) == ("TLS failed: the peer refused this host's "
                              f"certificate: unknown ca (from {SERVER})")


def test_missing_client_certificate_is_heard(serve: Serve,
                                             certs: Certs) -> None:
    port = serve(server_context(certs))
    with pytest.raises(ConnectionFailed,
                       match="the peer requires a client certificate"):
        first_answer(endpoint(port, certs, own=False))


@pytest.mark.parametrize("attempt", range(3))
def test_plain_request_on_the_tls_port_is_told(serve: Serve, certs: Certs,
                                               attempt: int) -> None:
    port = serve(server_context(certs))
    line = first_answer(endpoint(port, certs, use_tls=False))
    assert frames.parse_error_line(line) == (
        "XendError", f"port {port} is the TLS relocation port: migrate "
        "with --ssl")


@pytest.mark.parametrize("attempt", range(3))
def test_hosts_allow_refusal_arrives_whole(serve: Serve, certs: Certs,
                                           attempt: int) -> None:
    port = serve(hosts_allow="^nowhere$")
    line = first_answer(endpoint(port, certs, use_tls=False))
    assert frames.parse_error_line(line) == (
        "XendError", "host 127.0.0.1 is not allowed to relocate domains "
        "here")
