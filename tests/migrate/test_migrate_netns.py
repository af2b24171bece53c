"""xm migrate between two xends (simulator) in two network namespaces.

Real TCP and TLS over the veth pair of tests/migrate (see its README):
host a (10.213.47.1, hosta.xmig.test) and host b (10.213.47.2,
hostb.xmig.test).  Every case is checked as a user sees it, through ``xm``
and its output, and ends with MIGRATION.md's invariant (:func:`settled`):
exactly one running copy, on the source unless ``xm migrate`` succeeded,
no ``--incoming``/``--migratedaway`` leftovers, both xends answering.
Refusals are one ``Error:`` line and come well within the timeouts.
"""

from __future__ import annotations

import time
from typing import Iterable

import pytest

from tests.e2e.conftest import Result, basic_config
from tests.migrate.certs import Certs, KeyCert
from tests.migrate.twohosts import (ConfigValue, Host, TwoHosts,
                                    relocation_keys)

pytestmark = pytest.mark.e2e

LEFTOVERS = ("--incoming", "--migratedaway")
QUICK = 40.0        # seconds: a refusal must come well before this


# ---------------------------------------------------------------- helpers

def uuid_of(host: Host, name: str) -> str:
    out = host.ok("list", "-l", name)
    return out.split("(uuid ", 1)[1].split(")", 1)[0]


def settled(hosts: TwoHosts, name: str, at: Host,
            timeout: float = 10.0) -> None:
    """The invariant: ``name`` runs on ``at`` only, not paused nor shut
    down; nothing named ``name--incoming``/``--migratedaway`` anywhere;
    both xends answer ``xm list`` (waits for it to settle)."""
    deadline = time.monotonic() + timeout
    while True:
        problems = []
        for host in hosts:
            rows = host.domains()
            problems += [f"{row.name} left on {host.label}" for row in rows
                         if row.name.startswith(name)
                         and row.name.endswith(LEFTOVERS)]
            mine = [row for row in rows if row.name == name and row.id
                    is not None]
            if host is at:
                if len(mine) != 1:
                    problems.append(f"{name} not running on {host.label}")
                elif "p" in mine[0].state or "s" in mine[0].state:
                    problems.append(f"{name} is {mine[0].state} on "
                                    f"{host.label}")
            elif mine:
                problems.append(f"{name} also runs on {host.label}")
        if not problems:
            return
        if time.monotonic() > deadline:
            raise AssertionError("; ".join(problems) + "\n" +
                                 "\n".join(h.log() for h in hosts))
        time.sleep(0.2)


def migrate(host: Host, *args: str) -> Result:
    res = host.xm("migrate", *args)
    assert res.rc == 0, f"xm migrate {' '.join(args)}: {res.err}"
    assert (res.out, res.err) == ("", "")
    return res


def refused(host: Host, *args: str, says: Iterable[str]) -> str:
    """``xm migrate ARGS`` fails quickly with one Error line that says all
    of ``says``; returns that line."""
    start = time.monotonic()
    res = host.xm("migrate", *args)
    took = time.monotonic() - start
    line = res.err.strip()
    print(f"xm migrate {' '.join(args)}: {took:.1f}s: {line}")
    assert res.rc == 1 and res.out == "", res
    assert line.startswith("Error: ") and "\n" not in line, res.err
    assert "Traceback" not in res.err
    for words in says:
        assert words in line, line
    assert took < QUICK, f"{took:.1f}s to refuse"
    return line


def create_managed(host: Host, name: str, memory: int = 128) -> None:
    path = host.write_config(f"{name}.cfg", basic_config(name, memory))
    host.ok("new", str(path))
    host.ok("start", name)


def reconfigure(host: Host, base: str, keys: dict[str, ConfigValue],
                drop: Iterable[str] = ()) -> None:
    """Rewrite the host's config as ``base`` without the ``drop`` keys,
    plus ``keys``, and restart its xend."""
    gone = tuple(f"({key} " for key in drop)
    host.config.write_text("".join(
        line for line in base.splitlines(keepends=True)
        if not line.startswith(gone)))
    host.configure(keys)
    host.restart()


def cert_keys(pair: KeyCert) -> dict[str, ConfigValue]:
    return {"xend-relocation-server-ssl-cert-file": pair.cert,
            "xend-relocation-server-ssl-key-file": pair.key}


# ---------------------------------------------------------------- plain TCP

def test_plain_tcp_there_and_back(two_hosts) -> None:
    hosts = two_hosts(a=relocation_keys("a"), b=relocation_keys("b"))
    a, b = hosts.a, hosts.b
    for host in hosts:
        status = host.xend("status").out
        assert f"relocation server listening on {host.ip}:8002 (TCP)" \
            in status, status
        assert "(TLS)" not in status

    a.create("web", memory=256)
    uuid = uuid_of(a, "web")
    for src, dst, args in ((a, b, [b.ip]),                 # by address
                           (b, a, ["-l", a.fqdn]),         # live, by name
                           (a, b, ["--live", b.fqdn]),
                           (b, a, [a.ip])):
        migrate(src, *args[:-1], "web", args[-1])
        settled(hosts, "web", at=dst)
        assert uuid_of(dst, "web") == uuid
        assert dst.domain("web").mem == 256
        assert src.domain("web") is None

    # -c: the managed domain's home moves with it.
    create_managed(a, "home")
    migrate(a, "-c", "home", b.fqdn)
    settled(hosts, "home", at=b)
    assert a.domain("home") is None                    # not even halted
    b.ok("destroy", "home")
    assert b.domain("home").id is None                 # managed there

    # Without -c it stays managed (halted) here, and is not managed there.
    create_managed(a, "keep")
    uuid = uuid_of(a, "keep")
    migrate(a, "keep", b.ip)
    settled(hosts, "keep", at=b)
    assert a.domain("keep").id is None
    assert uuid_of(a, "keep") == uuid_of(b, "keep") == uuid
    b.ok("destroy", "keep")
    assert b.domain("keep") is None


# ---------------------------------------------------------------- hosts-allow

def test_hosts_allow_by_name_and_refusal(two_hosts) -> None:
    # a's address does not match: only its name (reverse lookup) does.
    hosts = two_hosts(b=relocation_keys("b", hosts_allow=r"^hosta\."))
    a, b = hosts.a, hosts.b
    a.create("named")
    migrate(a, "named", b.ip)
    settled(hosts, "named", at=b)

    b.configure({"xend-relocation-hosts-allow": r"^10\.9\."})
    b.restart()
    a.create("kept")
    refused(a, "kept", b.fqdn,
            says=[f"host {a.ip} is not allowed", f"(from {b.fqdn})"])
    settled(hosts, "kept", at=a)
    assert f"refused relocation connection from {a.ip}: not in " \
        "xend-relocation-hosts-allow" in b.log()
    settled(hosts, "named", at=b)                  # b's own still runs


# ---------------------------------------------------------------- TLS

def test_tls_verifies_both_ends(two_hosts, certs: Certs) -> None:
    hosts = two_hosts(a=relocation_keys("a", ssl=True, certs=certs),
                      b=relocation_keys("b", ssl=True, certs=certs))
    a, b = hosts.a, hosts.b
    status = b.xend("status").out
    assert f"relocation server listening on {b.ip}:8002 (TCP)" in status
    assert f"relocation server listening on {b.ip}:8003 (TLS)" in status

    a.create("sec")
    uuid = uuid_of(a, "sec")
    migrate(a, "-s", "sec", b.fqdn)
    settled(hosts, "sec", at=b)
    migrate(b, "--ssl", "-l", "sec", a.ip)         # cert holds the address
    settled(hosts, "sec", at=a)
    assert uuid_of(a, "sec") == uuid

    # The wrong kind of port: refused at once, not after a timeout.
    refused(a, "-s", "-p", "8002", "sec", b.ip,
            says=["TLS failed", "not answer in TLS", f"(from {b.ip})"])
    settled(hosts, "sec", at=a)
    refused(a, "-p", "8003", "sec", b.ip,
            says=["TLS relocation port", "--ssl", f"(from {b.ip})"])
    settled(hosts, "sec", at=a)

    base = a.config.read_text()
    server_files = ("xend-relocation-server-ssl-cert-file",
                    "xend-relocation-server-ssl-key-file")
    cases: list[tuple[str, dict[str, ConfigValue], tuple[str, ...],
                      list[str], str | None]] = [
        # what, a's keys, a's keys dropped, error says, b's log says
        # (None: b heard nothing)
        ("client cert of another CA", cert_keys(certs.untrusted), (),
         ["refused this host's certificate", "unknown ca"],
         "certificate not trusted: unable to get local issuer certificate"),
        ("no client cert", {"xend-relocation-ssl-server": "no"},
         server_files, ["requires a client certificate"],
         "TLS failed: the peer sent no client certificate"),
        ("expired client cert", cert_keys(certs.expired), (),
         ["refused this host's certificate", "certificate expired"],
         "certificate not trusted: certificate has expired"),
        ("b's cert not signed by a's CA",
         {"xend-relocation-ssl-ca-file": certs.other_ca}, (),
         ["certificate not trusted"],
         "TLS failed: the peer refused this host's certificate: unknown ca"),
        ("no CA file", {"xend-relocation-ssl-server": "no"},
         ("xend-relocation-ssl-ca-file",),
         ["cannot verify", "xend-relocation-ssl-ca-file"], None),
    ]
    start = len(b.log())
    for what, keys, drop, says, logged in cases:
        reconfigure(a, base, keys, drop)
        b_log = len(b.log())
        print(what)
        peer = [f"(from {b.fqdn})"] if logged is not None else []
        refused(a, "-s", "sec", b.fqdn, says=[*says, *peer])
        settled(hosts, "sec", at=a)
        heard = b.log()[b_log:]
        if logged is None:
            assert "relocation" not in heard, heard
        else:
            assert f"relocation TLS from {a.ip} refused: {logged}" in heard
    assert "receiving domain" not in b.log()[start:]

    # (xend-relocation-ssl yes): plain `xm migrate` speaks TLS, to 8003.
    reconfigure(a, base, {"xend-relocation-ssl": "yes"})
    migrate(a, "-p", "8003", "sec", b.fqdn)
    settled(hosts, "sec", at=b)
    migrate(b, "-s", "sec", a.fqdn)
    settled(hosts, "sec", at=a)
    migrate(a, "sec", b.fqdn)
    settled(hosts, "sec", at=b)
    assert uuid_of(b, "sec") == uuid


# ---------------------------------------------------------------- refusals

def test_destination_refuses_name_and_memory(two_hosts) -> None:
    # b: 1536 MiB, of which dom0 has 1024.
    hosts = two_hosts(b={**relocation_keys("b"), "sim-host-memory": 1536})
    a, b = hosts.a, hosts.b
    a.create("twin", memory=64)
    b.create("twin", memory=64)
    ours, theirs = uuid_of(a, "twin"), uuid_of(b, "twin")
    refused(a, "twin", b.fqdn,
            says=["twin", "already exists", f"(from {b.fqdn})"])
    for host, uuid in ((a, ours), (b, theirs)):
        assert host.domain("twin").id is not None
        assert uuid_of(host, "twin") == uuid
        assert not [r for r in host.domains() if r.name.endswith(LEFTOVERS)]

    a.create("big", memory=1024)
    refused(a, "-l", "big", b.ip,
            says=["not enough memory for big", f"(from {b.ip})"])
    settled(hosts, "big", at=a)


def test_link_down(two_hosts) -> None:
    """Down at both ends there is no route at all; down at b's end only,
    a's ARP requests for b go unanswered (the pair is fresh: a never
    talked to b), so its connect fails after about 3 s."""
    hosts = two_hosts(b=relocation_keys("b"))
    a, b = hosts.a, hosts.b
    a.create("island")
    for ends, why in ((("a", "b"), "Network is unreachable"),
                      (("b",), "No route to host")):
        hosts.pair.link_down(*ends)
        try:
            refused(a, "island", b.ip,
                    says=["cannot connect to the relocation server on "
                          f"{b.ip} port 8002: {why}"])
            settled(hosts, "island", at=a)
        finally:
            hosts.pair.link_up(*ends)
    migrate(a, "-l", "island", b.fqdn)
    settled(hosts, "island", at=b)
