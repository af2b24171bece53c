"""Test harness: a raw wire client and Xen's real C xenstored without Xen.

The real 4.17 ``xenstored`` refuses to start without a hypervisor.  The
LD_PRELOAD library below (C source, built with gcc into a temp dir) gives
it dummy xenctrl / xenevtchn / xengnttab handles, an event-channel fd that
never fires, anonymous pages for grant mappings, redirects
``/proc/xen/xsd_kva`` and ``/proc/xen/xsd_port`` to files, and clamps
``setrlimit`` to the hard limit (it asks for more open files than an
unprivileged container allows).  Then ``xenstored -N`` serves on
``$XENSTORED_RUNDIR/socket``.  Also used by bench/xenstore_throughput.py.
"""

from __future__ import annotations

import mmap
import os
import shutil
import struct
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from xenstore.wire import Decoder, Message, Op, encode, join

C_XENSTORED = "/usr/lib/xen-4.17/bin/xenstored"
TEST_XENSTORE = "/usr/lib/xen-4.17/bin/test-xenstore"

SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static int dummy_handle;
static int evtchn_pipe[2] = {-1, -1};
static unsigned next_port = 10;

/* xenstored maps dom0's ring from xsd_kva and reads its port from
   xsd_port: point both at plain files. */
static const char *redirect(const char *path) {
    if (path && strcmp(path, "/proc/xen/xsd_kva") == 0)
        return getenv("SHIM_XSD_KVA");
    if (path && strcmp(path, "/proc/xen/xsd_port") == 0)
        return getenv("SHIM_XSD_PORT");
    return path;
}
#define OPEN_WRAPPER(name)                                              \
int name(const char *path, int flags, ...) {                          \
    static int (*real)(const char *, int, ...);                         \
    va_list ap; va_start(ap, flags); int mode = va_arg(ap, int);        \
    va_end(ap);                                                         \
    if (!real) real = dlsym(RTLD_NEXT, #name);                          \
    return real(redirect(path), flags, mode);                           \
}
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

int setrlimit(__rlimit_resource_t res, const struct rlimit *rl) {
    static int (*real)(__rlimit_resource_t, const struct rlimit *);
    struct rlimit cur, want = *rl;
    if (!real) real = dlsym(RTLD_NEXT, "setrlimit");
    if (getrlimit(res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
        if (want.rlim_max > cur.rlim_max) want.rlim_max = cur.rlim_max;
        if (want.rlim_cur > want.rlim_max) want.rlim_cur = want.rlim_max;
    }
    return real(res, &want);
}

void *xc_interface_open(void *a, void *b, unsigned f)
{ (void)a; (void)b; (void)f; return &dummy_handle; }
int xc_interface_close(void *x) { (void)x; return 0; }
/* Every domain exists and is running: write only domid (first field). */
int xc_domain_getinfo(void *x, uint32_t first, unsigned max, void *info) {
    (void)x;
    if (!max) return 0;
    memset(info, 0, 12);
    memcpy(info, &first, 4);
    return 1;
}
void *xenevtchn_open(void *l, unsigned f) {
    (void)l; (void)f;
    if (evtchn_pipe[0] < 0 && pipe(evtchn_pipe) < 0) return NULL;
    return &dummy_handle;
}
void *xenevtchn_fdopen(void *l, int fd, unsigned f)
{ (void)fd; return xenevtchn_open(l, f); }
int xenevtchn_close(void *x) { (void)x; return 0; }
int xenevtchn_fd(void *x) { (void)x; return evtchn_pipe[0]; }
int xenevtchn_bind_interdomain(void *x, uint32_t d, unsigned p)
{ (void)x; (void)d; (void)p; return next_port++; }
int xenevtchn_bind_virq(void *x, unsigned v)
{ (void)x; (void)v; return next_port++; }
int xenevtchn_notify(void *x, unsigned p) { (void)x; (void)p; return 0; }
int xenevtchn_pending(void *x) { (void)x; errno = EAGAIN; return -1; }
int xenevtchn_unmask(void *x, unsigned p) { (void)x; (void)p; return 0; }
int xenevtchn_unbind(void *x, unsigned p) { (void)x; (void)p; return 0; }
void *xengnttab_open(void *l, unsigned f)
{ (void)l; (void)f; return &dummy_handle; }
int xengnttab_close(void *x) { (void)x; return 0; }
int xengnttab_set_max_grants(void *x, uint32_t n)
{ (void)x; (void)n; return 0; }
/* A guest's ring page: a shared file when SHIM_RING_DIR is set, so the
   tests can play the guest; anonymous memory otherwise. */
void *xengnttab_map_grant_ref(void *x, uint32_t d, uint32_t r, int prot) {
    void *p;
    char path[4096];
    const char *dir = getenv("SHIM_RING_DIR");
    (void)x; (void)r; (void)prot;
    if (dir) {
        int fd;
        snprintf(path, sizeof(path), "%s/ring-%u", dir, d);
        fd = open(path, O_RDWR | O_CREAT, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0) return NULL;
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
    } else {
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    return p == MAP_FAILED ? NULL : p;
}
int xengnttab_unmap(void *x, void *a, uint32_t n)
{ (void)x; return munmap(a, 4096 * n); }
"""


def _event(payload: bytes) -> tuple[bytes, bytes]:
    """``(path, token)`` of a WATCH_EVENT payload."""
    path, token = payload.split(b"\0")[:2]
    return path, token


def missing_tools() -> str | None:
    """Why the C daemon cannot be run here, or None."""
    if not os.path.exists(C_XENSTORED):
        return f"{C_XENSTORED} not installed (xen-utils-4.17)"
    if shutil.which("gcc") is None:
        return "gcc not installed"
    return None


def build_shim(workdir: Path) -> Path:
    src = workdir / "xsshim.c"
    lib = workdir / "xsshim.so"
    src.write_text(SHIM_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(lib),
                    str(src), "-ldl"], check=True, capture_output=True)
    return lib


def wait_for_socket(path: str, proc: subprocess.Popen[bytes] | None = None,
                    timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"daemon exited with {proc.returncode}")
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(path)
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"no socket at {path}")


class CXenstored:
    """The real C xenstored under the shim, in ``rundir``."""

    def __init__(self, rundir: Path, shim: Path) -> None:
        rundir.mkdir(parents=True, exist_ok=True)
        self.rundir = rundir
        self.socket_path = str(rundir / "socket")
        kva = rundir / "xsd_kva"
        kva.write_bytes(b"\0" * 4096)
        port = rundir / "xsd_port"
        port.write_text("1\n")
        env = dict(os.environ, LD_PRELOAD=str(shim),
                   SHIM_XSD_KVA=str(kva), SHIM_XSD_PORT=str(port),
                   SHIM_RING_DIR=str(rundir),
                   XENSTORED_RUNDIR=str(rundir),
                   XENSTORED_PATH=self.socket_path)
        self.log = open(rundir / "xenstored.log", "wb")
        self.proc = subprocess.Popen(
            [C_XENSTORED, "-N", "-T", str(rundir / "trace")]
            if os.environ.get("XS_TRACE") else [C_XENSTORED, "-N"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=str(rundir))
        wait_for_socket(self.socket_path, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class RawClient:
    """A synchronous wire-level client: one request, one reply; watch
    events that arrive meanwhile are kept in ``events``."""

    def __init__(self, path: str, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        # Connect blocking: with a timeout set, a momentarily full listen
        # backlog gives EAGAIN instead of waiting.
        self.sock.connect(path)
        self.sock.settimeout(timeout)
        self.decoder = Decoder()
        self.events: list[tuple[bytes, bytes]] = []
        self.backlog: list[Message] = []
        self.req_id = 0

    def request(self, op: int, payload: bytes, tx_id: int = 0
                ) -> tuple[int, bytes]:
        self.req_id += 1
        self.sock.sendall(encode(op, self.req_id, tx_id, payload))
        while True:
            msg = self._next()
            if msg.op == Op.WATCH_EVENT:
                self.events.append(_event(msg.payload))
                continue
            assert msg.req_id == self.req_id, msg
            return msg.op, msg.payload

    def _next(self) -> Message:
        while not self.backlog:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed by daemon")
            self.backlog.extend(self.decoder.feed(data))
        return self.backlog.pop(0)

    def drain_events(self, settle: float = 0.05) -> list[tuple[bytes, bytes]]:
        """Collect events until the socket is quiet for ``settle`` s."""
        old = self.sock.gettimeout()
        self.sock.settimeout(settle)
        try:
            while True:
                while self.backlog:
                    msg = self.backlog.pop(0)
                    if msg.op == Op.WATCH_EVENT:
                        self.events.append(
                            _event(msg.payload))
                data = self.sock.recv(65536)
                if not data:
                    break
                self.backlog.extend(self.decoder.feed(data))
        except (socket.timeout, TimeoutError):
            pass
        finally:
            self.sock.settimeout(old)
        out, self.events = self.events, []
        return out

    def close(self) -> None:
        self.sock.close()


RING_SIZE = 1024
_IDX = struct.Struct("=IIII")        # req_cons, req_prod, rsp_cons, rsp_prod


class RingClient:
    """Plays guest ``domid`` against the C daemon through the shared ring
    page the shim maps (``xenstore_domain_interface``: req[1024],
    rsp[1024], then the four indexes).  The daemon has no event channel
    to wake it, so every step "pokes" it with a request on a socket
    connection: its main loop then services the domain rings too."""

    def __init__(self, daemon: "CXenstored", domid: int,
                 timeout: float = 5.0) -> None:
        path = daemon.rundir / f"ring-{domid}"
        fd = os.open(path, os.O_RDWR)
        self.page = mmap.mmap(fd, 4096)
        os.close(fd)
        self.poker = RawClient(daemon.socket_path)
        self.decoder = Decoder()
        self.events: list[tuple[bytes, bytes]] = []
        self.replies: list[Message] = []
        self.req_id = 0
        self.timeout = timeout

    def _idx(self) -> tuple[int, int, int, int]:
        return _IDX.unpack_from(self.page, 2048)  # type: ignore[return-value]

    def _push(self, data: bytes) -> bytes:
        _cons, prod = self._idx()[:2]
        space = RING_SIZE - (prod - self._idx()[0])
        chunk = data[:space]
        for i, byte in enumerate(chunk):
            self.page[(prod + i) % RING_SIZE] = byte
        struct.pack_into("=I", self.page, 2052,
                         (prod + len(chunk)) & 0xFFFFFFFF)
        return data[len(chunk):]

    def _pull(self) -> None:
        _, _, cons, prod = self._idx()
        if cons == prod:
            return
        data = bytes(self.page[1024 + (i % RING_SIZE)]
                     for i in range(cons, prod))
        struct.pack_into("=I", self.page, 2056, prod)
        for msg in self.decoder.feed(data):
            if msg.op == Op.WATCH_EVENT:
                self.events.append(_event(msg.payload))
            else:
                self.replies.append(msg)

    def request(self, op: int, payload: bytes, tx_id: int = 0
                ) -> tuple[int, bytes]:
        self.req_id += 1
        pending = encode(op, self.req_id, tx_id, payload)
        deadline = time.monotonic() + self.timeout
        while True:
            if pending:
                pending = self._push(pending)
            self.poker.request(Op.GET_DOMAIN_PATH, join(b"0"))
            self._pull()
            if self.replies:
                msg = self.replies.pop(0)
                assert msg.req_id == self.req_id, msg
                return msg.op, msg.payload
            if time.monotonic() > deadline:
                raise TimeoutError("no reply on the ring")
            time.sleep(0.001)       # e.g. the write rate limit

    def close(self) -> None:
        self.poker.close()
        self.page.close()


class EngineDomainClient:
    """The same client role against the embedded daemon: requests go
    straight to the engine as the introduced domain's connection."""

    def __init__(self, server: Any, domid: int) -> None:
        self.server = server
        self.events: list[tuple[bytes, bytes]] = []
        self.replies: list[Message] = []
        self.req_id = 0

        def attach() -> Any:
            conn = server.engine.domains[domid].conn
            conn.sink = self._sink
            return conn
        self.conn = server.call(attach)

    def _sink(self, msg: Message) -> None:
        if msg.op == Op.WATCH_EVENT:
            self.events.append(_event(msg.payload))
        else:
            self.replies.append(msg)

    def request(self, op: int, payload: bytes, tx_id: int = 0
                ) -> tuple[int, bytes]:
        self.req_id += 1
        msg = Message(op, self.req_id, tx_id, payload)
        self.server.call(lambda: self.server.engine.handle(self.conn, msg))
        reply = self.replies.pop(0)
        return reply.op, reply.payload

    def close(self) -> None:
        pass
