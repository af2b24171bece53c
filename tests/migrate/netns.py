"""Two network namespaces joined by a veth: the two hosts of a migration test.

Every pair uses the same addresses; the namespaces are private, so pairs never
see each other or the machine's own networks::

    host a  10.213.47.1/24  hosta.xmig.test hosta   namespace xmig-<pid>-<n>-a
    host b  10.213.47.2/24  hostb.xmig.test hostb   namespace xmig-<pid>-<n>-b

A proxy placed between them needs an address of its own that stands for the
peer, so each namespace also holds one on its ``lo``: in a's namespace
10.213.47.12 (hostb-proxy.xmig.test) is "b through a proxy", in b's
10.213.47.11 (hosta-proxy.xmig.test) is "a through a proxy".

All six names are in ``/etc/netns/<ns>/hosts``, which ``ip netns exec``
bind-mounts over ``/etc/hosts``: inside a namespace ``getfqdn("10.213.47.1")``
is ``hosta.xmig.test``, so hosts-allow regexes on names can be tested.

Namespaces carry the pid of the test process that made them.
:func:`clean_stale` removes those whose process is gone (a killed run), first
killing whatever still runs in them; :meth:`NetnsPair.destroy` does the same
for a pair and is also registered with ``atexit``.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

T = TypeVar("T")
Socket = socket.socket   # NsHost.socket shadows the module in its class

NS_PREFIX = "xmig-"
NETNS_DIR = "/run/netns"
ETC_NETNS = "/etc/netns"
DEV = "xmig0"            # the veth end's name inside each namespace
PREFIXLEN = 24
DOMAIN = "xmig.test"
CLONE_NEWNET = 0x40000000

_STALE_NAME = re.compile(r"^" + re.escape(NS_PREFIX) + r"(\d+)-")
_counter = itertools.count()
_live: set[str] = set()  # namespaces this process made and has not removed


class NetnsError(RuntimeError):
    """An ``ip`` command failed while building or removing namespaces."""


@dataclass(frozen=True)
class Identity:
    """The fixed address and names of host ``a`` or ``b`` (in every pair)."""

    label: str
    ip: str
    proxy_ip: str        # "this host through a proxy", in the peer's namespace

    @property
    def short(self) -> str:
        return f"host{self.label}"

    @property
    def fqdn(self) -> str:
        return f"{self.short}.{DOMAIN}"

    @property
    def proxy_fqdn(self) -> str:
        return f"{self.short}-proxy.{DOMAIN}"


IDENTITIES = (Identity("a", "10.213.47.1", "10.213.47.11"),
              Identity("b", "10.213.47.2", "10.213.47.12"))


def identity(label: str) -> Identity:
    """Host ``a``'s or ``b``'s identity."""
    for ident in IDENTITIES:
        if ident.label == label:
            return ident
    raise KeyError(f"no host '{label}' (expected a or b)")


def hosts_file() -> str:
    """The /etc/hosts both namespaces see."""
    lines = ["127.0.0.1 localhost"]
    for ident in IDENTITIES:
        lines.append(f"{ident.ip} {ident.fqdn} {ident.short}")
        lines.append(f"{ident.proxy_ip} {ident.proxy_fqdn}")
    return "\n".join(lines) + "\n"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)
    if check and proc.returncode != 0:
        why = proc.stderr.strip() or f"exit {proc.returncode}"
        raise NetnsError(f"ip {' '.join(args)}: {why}")
    return proc


@functools.cache
def unavailable_reason() -> str | None:
    """Why network namespaces cannot be used here, or None if they can."""
    if os.geteuid() != 0:
        return ("network namespaces need root (the migration harness runs "
                "as root in CI)")
    if shutil.which("ip") is None:
        return "the 'ip' command (iproute2) is not installed"
    probe = f"{NS_PREFIX}{os.getpid()}-probe"
    try:
        _ip("netns", "add", probe)
    except (NetnsError, OSError) as exc:
        return f"cannot create a network namespace: {exc}"
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def list_namespaces() -> list[str]:
    """Named network namespaces (those ``ip netns`` knows)."""
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return False


def namespace_pids(ns: str) -> list[int]:
    """The processes running in namespace ``ns``."""
    proc = _ip("netns", "pids", ns, check=False)
    return [int(tok) for tok in proc.stdout.split() if tok.isdigit()]


def kill_processes(ns: str, timeout: float = 5.0) -> list[int]:
    """SIGKILL everything running in ``ns``; the pids killed."""
    pids = [pid for pid in namespace_pids(ns) if pid != os.getpid()]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and namespace_pids(ns):
        time.sleep(0.02)
    return pids


def delete_namespace(ns: str) -> None:
    """Kill what runs in ``ns``, delete it and its /etc/netns files."""
    if os.path.exists(os.path.join(NETNS_DIR, ns)):
        kill_processes(ns)
        _ip("netns", "del", ns, check=False)
    shutil.rmtree(os.path.join(ETC_NETNS, ns), ignore_errors=True)
    _live.discard(ns)


def clean_stale() -> list[str]:
    """Remove this harness's namespaces left by processes that are gone.

    A namespace named with this process's pid that this process did not make
    is stale too (the pid was reused).  Returns the names removed."""
    removed = []
    names = set(list_namespaces())
    try:
        names |= {n for n in os.listdir(ETC_NETNS) if n.startswith(NS_PREFIX)}
    except FileNotFoundError:
        pass
    for ns in sorted(names):
        m = _STALE_NAME.match(ns)
        if m is None or ns in _live:
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or not pid_alive(pid):
            delete_namespace(ns)
            removed.append(ns)
    return removed


def _setns(fd: int) -> None:
    setns = getattr(os, "setns", None)           # Python 3.12+
    if setns is not None:
        setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def run_in_netns(ns: str, fn: Callable[[], T]) -> T:
    """Call ``fn`` on a short-lived thread that has entered namespace ``ns``.

    Sockets keep the namespace they were made in, so a socket made by ``fn``
    can then be used from any thread of the test process."""
    box: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            fd = os.open(os.path.join(NETNS_DIR, ns),
                         os.O_RDONLY | os.O_CLOEXEC)
            try:
                _setns(fd)
            finally:
                os.close(fd)
            box.append((True, fn()))
        except BaseException as exc:  # handed to the caller below
            box.append((False, exc))

    thread = threading.Thread(target=target, name=f"netns-{ns}", daemon=True)
    thread.start()
    thread.join()
    ok, value = box[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


@dataclass(frozen=True)
class NsHost:
    """One end of a pair: an identity living in a namespace."""

    ident: Identity
    ns: str

    @property
    def label(self) -> str:
        return self.ident.label

    @property
    def ip(self) -> str:
        return self.ident.ip

    @property
    def short(self) -> str:
        return self.ident.short

    @property
    def fqdn(self) -> str:
        return self.ident.fqdn

    @property
    def proxy_ip(self) -> str:
        return self.ident.proxy_ip

    @property
    def proxy_fqdn(self) -> str:
        return self.ident.proxy_fqdn

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside this namespace (with its /etc/hosts)."""
        return ["ip", "netns", "exec", self.ns, *argv]

    def run(self, *argv: str, timeout: float = 30,
            env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*argv), capture_output=True,
                              text=True, timeout=timeout, env=env,
                              input=input,
                              stdin=None if input is not None
                              else subprocess.DEVNULL)

    def popen(self, *argv: str, **kwargs: Any) -> subprocess.Popen[Any]:
        return subprocess.Popen(self.command(*argv), **kwargs)

    def socket(self, family: int = socket.AF_INET,
               type: int = socket.SOCK_STREAM) -> Socket:
        """A new socket that belongs to this namespace."""
        return run_in_netns(self.ns, lambda: socket.socket(family, type))

    def listen(self, port: int = 0, address: str | None = None,
               backlog: int = 8) -> Socket:
        """A listening TCP socket in this namespace, on ``address`` (default
        this host's veth address); ``getsockname()`` gives the port."""
        sock = self.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address if address is not None else self.ip, port))
        sock.listen(backlog)
        return sock

    def connect(self, address: tuple[str, int],
                timeout: float = 5.0) -> Socket:
        """A TCP connection made from this namespace."""
        sock = self.socket()
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return sock


class NetnsPair:
    """Namespaces ``a`` and ``b`` and the veth between them.

    ``create()`` builds them (lo up, addresses, hosts files), ``destroy()``
    removes them and kills anything still running inside; both are used by
    ``with NetnsPair() as pair:``.
    """

    def __init__(self) -> None:
        base = f"{NS_PREFIX}{os.getpid()}-{next(_counter)}"
        self.a = NsHost(IDENTITIES[0], f"{base}-a")
        self.b = NsHost(IDENTITIES[1], f"{base}-b")

    @property
    def hosts(self) -> tuple[NsHost, NsHost]:
        return (self.a, self.b)

    def peer(self, host: NsHost) -> NsHost:
        return self.b if host == self.a else self.a

    def create(self) -> "NetnsPair":
        atexit.register(self.destroy)
        try:
            for host in self.hosts:
                delete_namespace(host.ns)       # a leftover with our pid
                _ip("netns", "add", host.ns)
                _live.add(host.ns)
                etc = os.path.join(ETC_NETNS, host.ns)
                os.makedirs(etc, exist_ok=True)
                with open(os.path.join(etc, "hosts"), "w") as f:
                    f.write(hosts_file())
                _ip("-n", host.ns, "link", "set", "lo", "up")
            _ip("link", "add", DEV, "netns", self.a.ns, "type", "veth",
                "peer", "name", DEV, "netns", self.b.ns)
            for host in self.hosts:
                _ip("-n", host.ns, "addr", "add", f"{host.ip}/{PREFIXLEN}",
                    "dev", DEV)
                _ip("-n", host.ns, "addr", "add",
                    f"{self.peer(host).proxy_ip}/32", "dev", "lo")
                _ip("-n", host.ns, "link", "set", DEV, "up")
        except BaseException:
            self.destroy()
            raise
        return self

    def destroy(self) -> None:
        """Remove both namespaces (idempotent; never raises)."""
        for host in self.hosts:
            try:
                delete_namespace(host.ns)
            except (OSError, subprocess.SubprocessError):
                pass
        atexit.unregister(self.destroy)

    def link_down(self, *labels: str) -> None:
        """Take the veth down at the named ends ("a", "b"; default both).

        Down at both ends, every connect or send between the hosts fails
        at once (no route).  Down at one end only, that end fails at once
        while the other end's packets are silently lost (its connections
        hang until their timeouts): a partition seen from one side."""
        for host in self._ends(labels):
            _ip("-n", host.ns, "link", "set", DEV, "down")

    def link_up(self, *labels: str) -> None:
        """Bring the veth back up at the named ends (default both)."""
        for host in self._ends(labels):
            _ip("-n", host.ns, "link", "set", DEV, "up")

    def _ends(self, labels: tuple[str, ...]) -> list[NsHost]:
        chosen = labels or ("a", "b")
        return [h for h in self.hosts if h.label in chosen]

    def __enter__(self) -> "NetnsPair":
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.destroy()
