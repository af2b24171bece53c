"""A seeded fuzzer for xend's JSON-RPC surface.

Every method of :mod:`xend.rpc.api` is called with hostile parameters:
wrong types, None, huge and negative integers, NaN and infinities, empty,
odd and huge strings, nested lists and objects, unknown domains, bools
where ints are expected, too few and too many parameters, named instead of
positional parameters, wrong descriptor counts and bad save images; plus
malformed frames.  A set of fixture domains (running, paused, halted
managed, suspended managed) is rebuilt every few calls so that the
parameters reach the code past the domain lookup.

Each reply is counted by error code.  An internal error (code 1, what the
server answers for an unexpected exception) or a missing reply (a crash)
is a defect; :class:`Report` groups them by the raising source line.
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tests.bootfiles import KERNEL
from xend.domains.saveimage import write_header
from xend.errors import XendError
from xend.model.platform import PLATFORM_KEYS
from xend.rpc.api import METHODS, Method
from tests.rpcfuzz.harness import Failure, FuzzDaemon, RawClient, close_fds

INTERNAL = 1
TRACE = bool(os.environ.get("RPC_FUZZ_TRACE"))
RESET_EVERY = 40                    # calls between fixture rebuilds
FIXTURES = ("fz-run", "fz-paused", "fz-halt", "fz-susp")

HUGE_INTS = [10**30, -10**30, 2**31, 2**31 - 1, 2**32, 2**63, 2**63 - 1,
             2**64, -2**63, 10**300, -1, -2, 0, 1, 65535, 65536, 1 << 20]
FLOATS = [math.nan, math.inf, -math.inf, 1.5, -0.0, 1e308, 0.1]
ODD_STRINGS = ["", " ", "\x00", "a\nb", "\t", "Domain-0", "0", "-1", "00",
               "1e5", "0x10", "²", "٣", "१२", "Ⅻ", "é", "ü",
               "../../etc/passwd", "/", "%s%n", "{}", "[]", "null",
               "a" * 300, "x" * 70_000, "9" * 40, "-" * 10, ",", "^",
               "0-3", "all", "^0", "0-", "-3", "3-1", "0-65535", "^0-65535",
               "0,,1", "1-2-3", "^all", "0-3,^1", "4096", " 1", "1 ",
               "xvdb", "hda:cdrom", "51728", "xvd" + "z" * 50, "d999999999",
               "d1p99999999", "00:16:3e:00:00:01", "::::::", "zz:zz:zz:zz:zz:zz",
               "vbd", "vif", "tap", "tap2", "poweroff", "reboot", "halt",
               "nmi", "reset", "init", "s3resume", "power", "sleep", "s", "b",
               "true", "None", "\u202e", "😀", "\ud800", "a\udcffb"]


# Absurd sizes (vcpus=10**8, maxmem=10**30, cpus="0-10**14"): refused
# before anything is built from them (xend/limits.py), so sent by default;
# RPC_FUZZ_ABSURD=0 leaves them out.
ABSURD = os.environ.get("RPC_FUZZ_ABSURD", "1") != "0"
SIZE_KEYS = ("memory", "maxmem", "vcpus", "maxvcpus", "shadow_memory",
             "cpu", "cpus", "videoram", "count")
SANE_INTS = [-2**31, -1, 0, 1, 2, 3, 4, 64, 4096, 65535, 65536]
ABSURD_STRINGS = ["0-99999999999999", "0-4294967295", "^0-99999999999"]


def _nested(rng: random.Random, depth: int) -> Any:
    if depth <= 0:
        return rng.choice([0, "", None, 1.5, [], {}])
    if rng.random() < 0.5:
        return [_nested(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["a", "name", "", "0"]): _nested(rng, depth - 1)
            for _ in range(rng.randint(0, 3))}


class Values:
    """Hostile and plausible values, seeded."""

    def __init__(self, rng: random.Random, refs: Callable[[], list[Any]],
                 absurd: bool = ABSURD):
        self.rng = rng
        self.refs = refs
        self.absurd = absurd

    def hostile(self, size: bool = False) -> Any:
        """Any hostile value; *size*: one for a size (memory, vcpus, a cpu
        list), bounded unless absurd sizes were asked for."""
        if size and not self.absurd:
            value = self.hostile()
            if isinstance(value, int) and not -2**31 <= value <= 65536:
                return self.rng.choice(SANE_INTS)
            return value
        r = self.rng
        if size and r.random() < 0.2:
            return r.choice(ABSURD_STRINGS)
        kind = r.randrange(10)
        if kind == 0:
            return None
        if kind == 1:
            return r.choice([True, False])
        if kind == 2:
            return r.choice(HUGE_INTS)
        if kind == 3:
            return r.choice(FLOATS)
        if kind in (4, 5):
            return r.choice(ODD_STRINGS)
        if kind == 6:
            return _nested(r, r.randint(1, 6))
        if kind == 7:
            return r.choice([[], {}, [1], {"a": 1}, [None], ["x"]])
        if kind == 8:
            return r.choice(self.refs())
        return r.randint(-5, 5)

    def int_like(self, size: bool = False) -> Any:
        r = self.rng
        if size and not self.absurd:
            return r.choice(SANE_INTS + [True, False])
        if r.random() < 0.5:
            return r.choice([-1, 0, 1, 2, 3, 4, 7, 64, 128, 256, 512, 100,
                             400, 65535, 65536])
        return r.choice(HUGE_INTS + [True, False])

    def of_type(self, kind: str, name: str) -> Any:
        r = self.rng
        size = name in SIZE_KEYS
        if r.random() < 0.3:
            return self.hostile(size)
        if kind == "dom":
            return r.choice(self.refs())
        if kind.endswith("|None"):
            return None if r.random() < 0.3 else self.of_type(kind[:-5], name)
        if kind == "int":
            return self.int_like(size)
        if kind == "bool":
            return r.choice([True, False, 0, 1])
        if kind == "str":
            if size and self.absurd and r.random() < 0.2:
                return r.choice(ABSURD_STRINGS)
            return r.choice(ODD_STRINGS)
        if kind == "dict":
            return self.config() if name == "config" else self.device_spec()
        return self.hostile()

    # -- structured parameters ------------------------------------------------
    def config(self) -> dict[str, Any]:
        r = self.rng
        cfg: dict[str, Any] = {"name": f"fz-new{r.randrange(1000)}",
                               "kernel": KERNEL, "memory": 64}
        if r.random() < 0.3:
            cfg["builder"] = r.choice(["hvm", "pvh"])
        keys = ["name", "uuid", "memory", "maxmem", "vcpus", "maxvcpus",
                "cpu", "cpus", "cpu_weight", "cpu_cap", "builder", "kernel",
                "on_poweroff", "on_crash", "on_xend_start", "tsc_mode",
                "nomigrate", "shadow_memory", "disks", "vifs", "pci",
                "vfbs", "platform", "other", "irq", "cpuid", "localtime",
                "version", "bootloader", "extra", "machine_address_size",
                "suppress_spurious_page_faults", "ioports", "bogus", "",
                "superpages", "hap", "target", "oos", "description"]
        for _ in range(r.randint(0, 3)):
            key = r.choice(keys)
            if key == "disks":
                cfg[key] = [self.disk_spec() for _ in range(r.randint(0, 2))]
            elif key == "vifs":
                cfg[key] = [self.vif_spec() for _ in range(r.randint(0, 2))]
            elif key in ("pci", "vfbs"):
                cfg[key] = [self.hostile_dict()
                            for _ in range(r.randint(0, 2))]
            elif key == "platform":
                cfg[key] = {r.choice(list(PLATFORM_KEYS) + ["bogus"]):
                            self.hostile(size=True)
                            for _ in range(r.randint(0, 3))}
            else:
                size = key in SIZE_KEYS
                cfg[key] = self.hostile(size) if r.random() < 0.7 \
                    else self.int_like(size)
        if r.random() < 0.05:
            cfg.pop("name", None)
        return cfg

    def hostile_dict(self) -> Any:
        r = self.rng
        if r.random() < 0.2:
            return self.hostile()
        return {r.choice(["uname", "dev", "mode", "bridge", "mac", "rate",
                          "bus", "slot", "func", "domain", "vnc", "sdl",
                          "vncdisplay", "videoram", "x", ""]):
                self.hostile(size=True)
                for _ in range(r.randint(0, 4))}

    def disk_spec(self) -> Any:
        r = self.rng
        spec: dict[str, Any] = {"uname": "phy:/dev/loop0",
                                "dev": f"xvd{r.choice('bcdefg')}",
                                "mode": "w"}
        for _ in range(r.randint(0, 2)):
            spec[r.choice(["uname", "dev", "mode", "backend", "protocol",
                           "bogus"])] = self.hostile() if r.random() < 0.5 \
                else r.choice(ODD_STRINGS)
        return spec if r.random() > 0.05 else self.hostile()

    def vif_spec(self) -> Any:
        r = self.rng
        spec: dict[str, Any] = {"bridge": "xenbr0"}
        for _ in range(r.randint(0, 3)):
            key = r.choice(["bridge", "mac", "rate", "ip", "script", "type",
                            "vifname", "model", "backend", "bogus"])
            spec[key] = self.hostile() if r.random() < 0.5 else r.choice(
                ODD_STRINGS + ["10Mb/s", "1GB/s@20ms", "0b/s",
                               "99999999999999999999Gb/s@1us", "5MB/s@0us",
                               "1Mb/s@99999999999999999999s"])
        return spec if r.random() > 0.05 else self.hostile()

    def device_spec(self) -> Any:
        return self.disk_spec() if self.rng.random() < 0.5 \
            else self.vif_spec()


@dataclass
class Report:
    requests: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    crashes: int = 0
    leftovers: list[str] = field(default_factory=list)
    methods: Counter[str] = field(default_factory=Counter)
    internal: list[tuple[str, str, Failure | None]] = field(
        default_factory=list)

    @property
    def internal_errors(self) -> int:
        return len(self.internal)

    def causes(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for method, _msg, failure in self.internal:
            if failure is None:
                out[f"{method}: (no traceback)"] += 1
            else:
                out[f"{failure.exc_type} at {failure.where}"] += 1
        return out

    def summary(self) -> str:
        lines = [f"requests {self.requests}, internal errors "
                 f"{self.internal_errors}, crashes {self.crashes}",
                 "replies by code: " + ", ".join(
                     f"{k}: {v}" for k, v in sorted(self.codes.items()))]
        if self.leftovers:
            lines.append(f"leftover domains at fixture resets: "
                         f"{len(self.leftovers)} (first: "
                         f"{self.leftovers[0]})")
        for cause, n in self.causes().most_common():
            example = next(m for (meth, m, f) in self.internal
                           if (f and f"{f.exc_type} at {f.where}" == cause)
                           or (not f and cause.startswith(meth)))
            lines.append(f"  {n:5d} x {cause}: {example[:160]}")
        return "\n".join(lines)


class Campaign:
    """Run seeded fuzz calls against one :class:`FuzzDaemon`."""

    def __init__(self, daemon: FuzzDaemon, seed: int) -> None:
        self.daemon = daemon
        self.rng = random.Random(seed)
        self.values = Values(self.rng, self._refs)
        self.client = RawClient(daemon.socket_path)
        self.report = Report()
        self.tmp = Path(tempfile.mkdtemp(dir=daemon.base))
        self._ids: list[Any] = []
        self._next_id = 0

    # -- fixtures -------------------------------------------------------------
    def _refs(self) -> list[Any]:
        return list(FIXTURES) + self._ids + [
            0, "Domain-0", "0", "nope", "fz-new1", 999, "999", 10**30,
            str(10**30), -1, "-1", "²", "00000000-0000-0000-0000-000000000000",
            "", " ", 2**63, "1" * 400]

    def reset_fixtures(self) -> None:
        m = self.daemon.manager
        for rec in m.list_records():
            if rec["name"] == "Domain-0":
                continue
            try:
                if rec["domid"] is not None:
                    m.destroy(rec["uuid"])
                if rec["managed"]:
                    path = m.table.checkpoint_path(rec["uuid"])
                    if os.path.exists(path):
                        os.unlink(path)
                    m.delete(rec["uuid"])
            except XendError as exc:
                self.report.leftovers.append(f"{rec['name']}: {exc}")
        with m.table.lock:
            for entry in list(m.table.entries.values()):
                if entry.domid is None and not entry.managed:
                    # a stopped unmanaged domain xend still lists
                    self.report.leftovers.append(
                        f"{entry.name}: halted but not managed")
                    m.forget(entry)
        base = {"kernel": KERNEL, "memory": 64, "maxmem": 128,
                "vcpus": 2, "maxvcpus": 4,
                "disks": [{"uname": "phy:/dev/loop0", "dev": "xvda",
                           "mode": "w"}],
                "vifs": [{"bridge": "xenbr0"}]}
        m.create(dict(base, name="fz-run"))
        m.create(dict(base, name="fz-paused"), paused=True)
        m.new(dict(base, name="fz-halt"))
        m.new(dict(base, name="fz-susp"))
        m.start("fz-susp")
        m.suspend("fz-susp")
        self._ids = []
        for rec in m.list_records():
            self._ids += [rec["uuid"]]
            if rec["domid"] is not None:
                self._ids += [rec["domid"], str(rec["domid"])]

    # -- one request ------------------------------------------------------------
    def _params(self, method: Method) -> Any:
        r = self.rng
        params = [self.values.of_type(p.type, p.name) for p in method.params]
        shape = r.random()
        if shape < 0.06 and params:
            params = params[:r.randrange(len(params))]          # missing
        elif shape < 0.10:
            params = params + [self.values.hostile()]           # extra
        elif shape < 0.14:
            return {p.name: v for p, v in zip(method.params, params)}
        elif shape < 0.16:
            return self.values.hostile()                        # not a list
        elif shape < 0.70:
            # trailing defaults left out (the usual xm call)
            keep = len(params)
            while keep and not method.params[keep - 1].required and \
                    r.random() < 0.4:
                keep -= 1
            params = params[:keep]
        return params

    def _fds(self, method: Method) -> list[int]:
        r = self.rng
        count = method.fds
        roll = r.random()
        if roll < 0.1:
            count = 0
        elif roll < 0.15:
            count += 1
        fds = []
        for _ in range(count):
            path = self.tmp / f"img{r.randrange(8)}"
            if method.name.endswith("restore"):
                path.write_bytes(self._image())
                fds.append(os.open(path, os.O_RDONLY))
            else:
                fds.append(os.open(path, os.O_WRONLY | os.O_CREAT
                                   | os.O_TRUNC, 0o600))
        return fds

    def _image(self) -> bytes:
        """A save image: random bytes, a bad header, or a good header
        with a hostile config and a truncated or random body."""
        r = self.rng
        roll = r.random()
        if roll < 0.2:
            return bytes(r.randrange(256) for _ in range(r.randrange(64)))
        cfg = self.values.config() if roll < 0.7 else {
            "name": "fz-restored", "kernel": KERNEL, "memory": 64}
        buf = io.BytesIO()
        write_header(buf, cfg)
        data = buf.getvalue()
        if r.random() < 0.3:
            data = data[:r.randrange(len(data) + 1)]
        return data + bytes(r.randrange(256) for _ in range(r.randrange(32)))

    def _frame(self, method: Method) -> tuple[bytes, list[int]]:
        r = self.rng
        self._next_id += 1
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method.name,
                               "params": self._params(method),
                               "id": self._next_id}
        fds = self._fds(method) if method.fds or r.random() < 0.02 else []
        if fds:
            msg["fds"] = len(fds)
        roll = r.random()
        if roll < 0.02:
            msg["id"] = self.values.hostile()
        elif roll < 0.03:
            msg["fds"] = self.values.hostile()
        elif roll < 0.04:
            msg["jsonrpc"] = self.values.hostile()
        elif roll < 0.05:
            msg["method"] = self.values.hostile()
        elif roll < 0.06:
            msg = self.values.hostile()
        body = json.dumps(msg).encode()
        if r.random() < 0.01:
            body = self._raw_garbage()
        return body, fds

    def _raw_garbage(self) -> bytes:
        r = self.rng
        depth = r.choice([10, 900, 1000, 5000, 100_000])
        return r.choice([
            b"[" * depth, b"{\"a\":" * depth, b"[" * depth + b"]" * depth,
            b'{"jsonrpc":"2.0","method":"xend.version","params":'
            + b"[" * depth + b"]" * depth + b',"id":1}',
            b"\xff\xfe", b"", b"nul", b'"\\ud800"', b"1" * 5000,
            b'{"jsonrpc":"2.0","method":"xend.domain","params":[' +
            b"9" * 5000 + b'],"id":1}', b"NaN", b"-Infinity"])

    def call(self, method: Method) -> None:
        body, fds = self._frame(method)
        before = len(self.daemon.catcher.failures)
        if TRACE:
            print(f"{self.report.requests}: {body[:300]!r}", flush=True)
        try:
            reply = self.client.send(body, fds)
        finally:
            close_fds(fds)
        self.report.requests += 1
        self.report.methods[method.name] += 1
        if reply is None:
            if not self.daemon.alive():
                self.report.crashes += 1
                raise RuntimeError("the RPC server died")
            # An oversize frame closes the connection after its error;
            # anything else closing it without a reply is a crash.
            self.report.crashes += 1
            self.report.codes["no reply"] += 1
            self.report.internal.append((method.name, body[:120].decode(
                "utf-8", "replace"), None))
            return
        if "error" not in reply:
            self.report.codes["ok"] += 1
            return
        code = reply["error"].get("code")
        self.report.codes[str(code)] += 1
        if code == INTERNAL:
            new = self.daemon.catcher.failures[before:]
            self.report.internal.append(
                (method.name, str(reply["error"].get("message")),
                 new[-1] if new else None))

    def run(self, count: int) -> Report:
        for n in range(count):
            if n % RESET_EVERY == 0:
                self.reset_fixtures()
            self.call(self.rng.choice(METHODS))
        self.client.close()
        return self.report


def fuzz(base: Path, seed: int, count: int,
         scheduler: str = "credit") -> Report:
    daemon = FuzzDaemon(base, scheduler=scheduler)
    try:
        return Campaign(daemon, seed).run(count)
    finally:
        daemon.close()
