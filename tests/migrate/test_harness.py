"""Self-tests of the migration harness: namespaces, xends, cut proxy, certs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.migrate.certs import Certs, verify
from tests.migrate.netns import (NetnsPair, NsHost, hosts_file,
                                 list_namespaces, unavailable_reason)
from tests.migrate.twohosts import parse_list, relocation_keys
from xend.daemon.config import load_config
from xm.render import brief_list

pytestmark = pytest.mark.e2e


# ---------------------------------------------------------------- helpers

@dataclass
class Served:
    received: int = 0
    end: str = ""


class EchoServer:
    """A plain echo server on a listening socket (in any namespace)."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.port = listener.getsockname()[1]
        self.served: list[Served] = []
        self.done = threading.Semaphore(0)
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(conn,),
                             daemon=True).start()

    def echo(self, conn: socket.socket) -> None:
        record = Served()
        self.served.append(record)
        try:
            while data := conn.recv(65536):
                record.received += len(data)
                conn.sendall(data)
            record.end = "eof"
        except OSError as exc:
            record.end = type(exc).__name__
        finally:
            conn.close()
            self.done.release()

    def wait(self, timeout: float = 10.0) -> Served:
        assert self.done.acquire(timeout=timeout), "echo connection hung"
        return self.served[-1]


def exchange(host: NsHost, address: tuple[str, int],
             payload: bytes) -> tuple[int, str]:
    """Send ``payload`` from ``host``, then read echoes until the end: the
    bytes read and how it ended ("eof", or the first error's name; what was
    received before a reset is still read after a failed send)."""
    sock = host.connect(address)
    got, how = 0, ""
    try:
        sock.sendall(payload)
    except OSError as exc:
        how = type(exc).__name__
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass                    # already reset: the error comes from recv
    try:
        while data := sock.recv(65536):
            got += len(data)
    except OSError as exc:
        how = how or type(exc).__name__
    finally:
        sock.close()
    return got, how or "eof"


def getfqdn_in(host: NsHost, *ips: str) -> list[str]:
    code = ("import socket,sys;"
            "print(*[socket.getfqdn(a) for a in sys.argv[1:]])")
    res = host.run(sys.executable, "-c", code, *ips)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


# ---------------------------------------------------------------- namespaces

def test_veth_is_the_only_way_between_the_hosts(netns_pair: NetnsPair) -> None:
    a, b = netns_pair.hosts
    assert {a.ns, b.ns} <= set(list_namespaces())
    listener = b.listen()
    port = listener.getsockname()[1]
    with a.connect((b.ip, port)):
        conn, peer = listener.accept()
        conn.close()
    assert peer[0] == a.ip

    # Not from the root namespace, nor through a's own loopback.
    try:
        socket.create_connection((b.ip, port), timeout=0.5).close()
    except OSError:
        pass
    loop_listener = b.listen(address="127.0.0.1")
    with pytest.raises(ConnectionRefusedError):
        a.connect(("127.0.0.1", loop_listener.getsockname()[1]))
    loop_listener.close()
    listener.settimeout(0.2)
    with pytest.raises(socket.timeout):
        listener.accept()

    netns_pair.link_down()
    with pytest.raises(OSError):
        a.connect((b.ip, port), timeout=1)
    netns_pair.link_up()
    with a.connect((b.ip, port)):
        listener.settimeout(5)
        listener.accept()[0].close()
    listener.close()


def test_skip_reasons_say_what_is_missing(monkeypatch) -> None:
    check = unavailable_reason.__wrapped__
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "need root" in str(check())
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "'ip' command" in str(check())


def test_hosts_file_names_the_peers(netns_pair: NetnsPair) -> None:
    a, b = netns_pair.hosts
    assert getfqdn_in(a, b.ip, a.ip, b.proxy_ip) == \
        [b.fqdn, a.fqdn, b.proxy_fqdn]
    assert getfqdn_in(b, a.ip) == [a.fqdn]


# ---------------------------------------------------------------- two xends

def test_two_xends_in_their_namespaces(two_hosts, certs: Certs) -> None:
    allow = r"^hosta\.xmig\.test$ ^10\.213\.47\.1$"
    hosts = two_hosts(b=relocation_keys("b", ssl=True, certs=certs,
                                        hosts_allow=allow))
    a, b = hosts.a, hosts.b
    for host in hosts:
        names = [row.name for row in host.domains()]
        assert names == ["Domain-0"]
        ident = subprocess.run(["ip", "netns", "identify", str(host.pid())],
                               capture_output=True, text=True)
        assert ident.stdout.strip() == host.ns
        # The daemon resolves names with its namespace's hosts file.
        hosts = Path(f"/proc/{host.pid()}/root/etc/hosts").read_text()
        assert hosts == hosts_file()
        info = host.ok("info")
        assert f"host                   : host{host.label}" in info
    assert load_config(str(b.config)).relocation_hosts_allow == allow

    row = a.create("mig1", memory=256)
    assert (row.mem, row.vcpus) == (256, 1) and row.id is not None
    assert b.domain("mig1") is None

    pid = a.kill9()
    assert not a.running() and a.pid() == pid
    a.restart()
    assert a.running() and a.pid() != pid
    again = a.wait_domain("mig1")
    assert again is not None
    assert (again.id, again.mem, again.vcpus) == (row.id, row.mem, row.vcpus)


def test_parse_list_reads_columns_from_the_right() -> None:
    long_name = "a-very-long-domain-name-that-overflows-its-column"
    out = brief_list([
        {"name": "Domain-0", "domid": 0, "memory": 1024, "online_vcpus": 4,
         "state": "r-----", "cpu_time": 12.5},
        {"name": long_name, "domid": 7, "memory": 128, "online_vcpus": 1,
         "state": "-b----", "cpu_time": 0.0},
        {"name": "parked", "domid": None, "memory": 128, "vcpus": 2,
         "state": "", "cpu_time": 0.0}])
    rows = parse_list(out)
    assert [(r.name, r.id, r.mem, r.vcpus, r.state) for r in rows] == [
        ("Domain-0", 0, 1024, 4, "r-----"),
        (long_name, 7, 128, 1, "-b----"),
        ("parked", None, 128, 2, "")]
    assert rows[0].time == 12.5


# ---------------------------------------------------------------- cut proxy

@pytest.mark.parametrize("direction", ["up", "down"])
@pytest.mark.parametrize("close", ["rst", "fin"])
def test_proxy_cuts_at_exactly_n_bytes(netns_pair: NetnsPair, cut_proxy,
                                       direction: str, close: str) -> None:
    a, b = netns_pair.hosts
    echo = EchoServer(b.listen())
    proxy = cut_proxy(a, (b.ip, echo.port), cut_after=4321,
                      direction=direction, close=close)
    assert proxy.address[0] == b.proxy_ip

    got, how = exchange(a, proxy.address, b"x" * 100_000)
    served = echo.wait()
    expected_end = "ConnectionResetError" if close == "rst" else "eof"
    if direction == "up":
        assert served.received == 4321 and served.end == expected_end
        assert got <= 4321
    else:
        assert got == 4321 and how == expected_end
    [first] = proxy.wait_connections(1)
    assert first.cut and first.end == "cut"
    assert getattr(first, direction) == 4321

    # The next connection passes untouched.
    assert exchange(a, proxy.address, b"y" * 50_000) == (50_000, "eof")
    assert echo.wait().received == 50_000
    second = proxy.wait_connections(2)[1]
    assert (second.up, second.down, second.cut, second.end) == \
        (50_000, 50_000, False, "closed")


def test_proxy_counts_without_cutting_and_cuts_every(netns_pair: NetnsPair,
                                                     cut_proxy) -> None:
    a, b = netns_pair.hosts
    echo = EchoServer(b.listen())
    counting = cut_proxy(a, (b.ip, echo.port), record=True)
    assert exchange(a, counting.address, b"z" * 12_345) == (12_345, "eof")
    [conn] = counting.wait_connections(1)
    assert (conn.up, conn.down, conn.cut) == (12_345, 12_345, False)
    assert counting.recorded(1) == (b"z" * 12_345, b"z" * 12_345)

    every = cut_proxy(a, (b.ip, echo.port), cut_after=0, cut_every=True)
    for number in (1, 2):
        got, how = exchange(a, every.address, b"q" * 1000)
        assert (got, how) == (0, "ConnectionResetError")
        conns = every.wait_connections(number)
        assert conns[-1].cut and conns[-1].up == 0


def test_proxy_reports_open_connections_on_stop(netns_pair: NetnsPair,
                                                cut_proxy) -> None:
    a, b = netns_pair.hosts
    echo = EchoServer(b.listen())
    proxy = cut_proxy(a, (b.ip, echo.port))
    sock = a.connect(proxy.address)
    sock.sendall(b"hello")
    assert sock.recv(5) == b"hello"
    [conn] = proxy.stop()
    assert (conn.up, conn.down, conn.end) == (5, 5, "open")
    sock.close()


# ---------------------------------------------------------------- certs

def test_certs_verify_against_their_ca(certs: Certs) -> None:
    for pair in certs.hosts.values():
        ok, out = verify(certs.ca, pair.cert)
        assert ok, out
    for bad, why in ((certs.untrusted, "unable to get local issuer"),
                     (certs.expired, "certificate has expired"),
                     (certs.self_signed, "self-signed certificate")):
        ok, out = verify(certs.ca, bad.cert)
        assert not ok and why in out, out
    assert verify(certs.other_ca, certs.untrusted.cert)[0]


def test_host_certs_name_the_host(certs: Certs) -> None:
    text = subprocess.run(
        ["openssl", "x509", "-in", str(certs.hosts["b"].cert), "-noout",
         "-subject", "-ext", "subjectAltName"],
        capture_output=True, text=True, check=True).stdout
    assert "CN = hostb.xmig.test" in text
    for name in ("DNS:hostb.xmig.test", "DNS:hostb", "IP Address:10.213.47.2",
                 "DNS:hostb-proxy.xmig.test", "IP Address:10.213.47.12"):
        assert name in text
