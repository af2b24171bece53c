"""Two xends on the simulator, one per network namespace, driven by xm.

:class:`Host` is the e2e tests' :class:`~tests.e2e.conftest.XendEnv` (own
config file, state directory, socket and log) with every command run through
``ip netns exec`` in its namespace: ``xend start`` there, so the daemon
listens and connects out from that namespace, under its own hostname
(``hosta``/``hostb``, in a UTS namespace of its own); ``xm`` there too.
:class:`TwoHosts` holds hosts ``a`` and ``b`` of one
:class:`~tests.migrate.netns.NetnsPair`.  :func:`relocation_keys` builds the
relocation server's config keys for a host.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from tests.e2e.conftest import Result, XendEnv, basic_config
from tests.migrate.certs import Certs
from tests.migrate.netns import NetnsPair, NsHost, identity, pid_alive
from xend.model.sxp import is_bare, py2_repr

ConfigValue = str | int | Path

# Sets the hostname in the new UTS namespace, then runs the command.
_WITH_HOSTNAME = 'hostname "$1" && shift && exec "$@"'


@dataclass(frozen=True)
class DomainRow:
    """One row of ``xm list``."""

    name: str
    id: int | None       # None for an inactive managed domain
    mem: int
    vcpus: int
    state: str
    time: float


def parse_list(out: str) -> list[DomainRow]:
    """The rows of ``xm list`` output (its header skipped).

    Columns are read from the right (``%5s %5d %5d %10s %8.1f``), so a name
    longer than its 40-character column still parses."""
    rows = []
    for line in out.splitlines()[1:]:
        if not line.strip():
            continue
        tail = line[-38:]
        domid = tail[1:6].strip()
        rows.append(DomainRow(
            name=line[:-38].rstrip(), id=int(domid) if domid else None,
            mem=int(tail[7:12]), vcpus=int(tail[13:18]),
            state=tail[19:29].strip(), time=float(tail[30:])))
    return rows


def sxp_value(value: ConfigValue) -> str:
    """A config value as SXP text: bare when it can be, else quoted."""
    text = str(value)
    return text if is_bare(text) else py2_repr(text)


class Host(XendEnv):
    """An xend living in one namespace of a pair."""

    def __init__(self, base: Path, net: NsHost,
                 keys: Mapping[str, ConfigValue] | None = None) -> None:
        base.mkdir(parents=True, exist_ok=True)
        super().__init__(base, **{k: sxp_value(v)
                                  for k, v in (keys or {}).items()})
        self.net = net

    # -- who and where
    @property
    def label(self) -> str:
        return self.net.label

    @property
    def ns(self) -> str:
        return self.net.ns

    @property
    def ip(self) -> str:
        return self.net.ip

    @property
    def fqdn(self) -> str:
        return self.net.fqdn

    # -- commands, all inside the namespace
    def run(self, *args: str, cwd: Path | None = None,
            timeout: float = 60) -> Result:
        return super().run(*self.net.command(*args), cwd=cwd,
                           timeout=timeout)

    def xend(self, *args: str) -> Result:
        if args and args[0] in ("start", "restart"):
            # The daemon keeps the UTS namespace, so `xm info` names the host.
            return self.run("unshare", "--uts", "--", "sh", "-c",
                            _WITH_HOSTNAME, "sh", self.net.short,
                            sys.executable, "-m", "xend", *args)
        return super().xend(*args)

    def configure(self, keys: Mapping[str, ConfigValue]) -> None:
        """Set config keys (a later form wins); xend reads them at its next
        start, restart or (for keys it reloads) ``xend reload``."""
        with open(self.config, "a") as f:
            f.writelines(f"({k} {sxp_value(v)})\n" for k, v in keys.items())

    # -- the daemon's life
    def running(self) -> bool:
        pid = self.pid()
        return pid is not None and pid_alive(pid)

    def restart(self) -> None:
        """``xend restart`` if it runs, else ``xend start``."""
        res = self.xend("restart" if self.running() else "start")
        assert res.rc == 0, res.err + self.log()

    def kill9(self, timeout: float = 10.0) -> int:
        """SIGKILL xend and its process group (xend made a session of its
        own, so that is anything it started); wait until it is gone.
        Returns the pid killed."""
        pid = self.pid()
        assert pid is not None and pid_alive(pid), "xend is not running"
        try:
            group = os.getpgid(pid)
            if group != os.getpgrp():
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            assert time.monotonic() < deadline, f"xend {pid} survived SIGKILL"
            time.sleep(0.02)
        return pid

    # -- domains
    def domains(self) -> list[DomainRow]:
        return parse_list(self.ok("list"))

    def domain(self, name: str) -> DomainRow | None:
        for row in self.domains():
            if row.name == name:
                return row
        return None

    def create(self, name: str, memory: int = 128,
               **extra: object) -> DomainRow:
        """Write a small PV config (a real kernel file) and ``xm create``."""
        path = self.write_config(f"{name}.cfg",
                                 basic_config(name, memory, **extra))
        self.ok("create", str(path))
        row = self.domain(name)
        assert row is not None, f"{name} not listed after xm create"
        return row

    def wait_domain(self, name: str, present: bool = True,
                    timeout: float = 15.0) -> DomainRow | None:
        """Wait until ``name`` is listed (or, present=False, gone)."""
        box: list[DomainRow | None] = [None]

        def check() -> bool:
            box[0] = self.domain(name)
            return (box[0] is not None) == present
        self.wait_for(check, timeout)
        return box[0]


def relocation_keys(label: str, *, plain: bool = True, ssl: bool = False,
                    certs: Certs | None = None,
                    hosts_allow: str | None = None,
                    address: str | None = None) -> dict[str, ConfigValue]:
    """The keys that make host ``label``'s ("a"/"b") xend a relocation server.

    ``plain`` serves TCP 8002, ``ssl`` TLS 8003 with the host's certificate
    from ``certs`` (and its CA as ``xend-relocation-ssl-ca-file``);
    ``address`` defaults to the host's veth address."""
    ident = identity(label)
    keys: dict[str, ConfigValue] = {
        "xend-relocation-server": "yes" if plain else "no",
        "xend-relocation-address": ident.ip if address is None else address,
    }
    if ssl:
        assert certs is not None, "ssl=True needs certs"
        own = certs.hosts[label]
        keys.update({
            "xend-relocation-ssl-server": "yes",
            "xend-relocation-server-ssl-key-file": own.key,
            "xend-relocation-server-ssl-cert-file": own.cert,
            "xend-relocation-ssl-ca-file": certs.ca,
        })
    if hosts_allow is not None:
        keys["xend-relocation-hosts-allow"] = hosts_allow
    return keys


class TwoHosts:
    """Hosts ``a`` and ``b``: one xend per namespace of ``pair``."""

    def __init__(self, pair: NetnsPair, base: Path,
                 a: Mapping[str, ConfigValue] | None = None,
                 b: Mapping[str, ConfigValue] | None = None,
                 common: Mapping[str, ConfigValue] | None = None) -> None:
        self.pair = pair
        self.a = Host(base / "a", pair.a, {**(common or {}), **(a or {})})
        self.b = Host(base / "b", pair.b, {**(common or {}), **(b or {})})

    def __iter__(self) -> Iterator[Host]:
        return iter((self.a, self.b))

    def peer(self, host: Host) -> Host:
        return self.b if host is self.a else self.a

    def start(self) -> None:
        """Start both xends at once (each waits for its daemon's ready)."""
        errors: list[BaseException] = []

        def start(host: Host) -> None:
            try:
                host.start()
            except BaseException as exc:  # re-raised below
                errors.append(exc)
        threads = [threading.Thread(target=start, args=(h,)) for h in self]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def stop(self) -> None:
        """Stop whichever xends run (``xend stop``)."""
        for host in self:
            if host.running():
                host.xend("stop")
