"""Helpers for the xm scenarios: reading `xm list`, xl's view of a domain,
the guest's backends in Xenstore, and talking to the guest through `xm
console`."""
from __future__ import annotations

import os
import select
import subprocess
import time
from dataclasses import dataclass

import lab_xl as xl
from lab_xend import XendProcess

XVDA, XVDB = 51712, 51728      # xenstore device ids (202 << 8 | 16 * n)
ESCAPE = b"\x1d"               # Ctrl-]: leaves xm console


@dataclass
class XmRow:
    name: str
    domid: int | None
    mem_mb: int
    vcpus: int
    state: str
    cpu_s: float


def xm_list(xend: XendProcess, *names: str) -> dict[str, XmRow]:
    """`xm list [NAMES]` parsed: Name ID Mem VCPUs State Time(s)."""
    rows = {}
    for line in xend.xm("list", *names).stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        # An inactive managed domain has no ID column value.
        if len(parts) == 5:
            name, mem, vcpus, state, cpu = parts
            domid = None
        else:
            name, did, mem, vcpus, state, cpu = parts[:6]
            domid = int(did)
        rows[name] = XmRow(name, domid, int(mem), int(vcpus), state, float(cpu))
    return rows


def xl_cpu_seconds(name: str) -> float:
    """The Time(s) column of `xl list NAME`."""
    line = xl.run("list", name).stdout.splitlines()[1]
    return float(line.split()[5])


def running(name: str) -> xl.Domain:
    dom = xl.domain(name)
    if dom is None:
        raise AssertionError(f"guest {name} is not running (an earlier scenario failed?)")
    return dom


def backend_state(kind: str, domid: int, devid: int) -> str | None:
    return xl.xenstore_read(f"/local/domain/0/backend/{kind}/{domid}/{devid}/state")


def wait_backend(kind: str, name: str, devid: int, state: str = "4", timeout: float = 60) -> None:
    xl.wait_for(lambda: backend_state(kind, running(name).domid, devid) == state, timeout,
                what=f"{kind} {devid} of {name} to reach state {state}")


def console_run(xend: XendProcess, name: str, command: str, expect: str,
                timeout: float = 60, tool: str = "xm") -> str:
    """Runs a shell command on the guest's console through `xm console` (or
    `xl console` with tool="xl", for a domain xl owns) and returns what the
    console printed until EXPECT appeared.  The guest's busybox offers a
    shell on its console after "Please press Enter"; Ctrl-] leaves both."""
    proc = subprocess.Popen([tool, "console", name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=xend.env)
    assert proc.stdin is not None and proc.stdout is not None
    out = b""
    try:
        # Enter activates the console (a no-op at a shell prompt).
        proc.stdin.write(b"\r")
        proc.stdin.flush()
        time.sleep(1)
        proc.stdin.write(command.encode() + b"\r")
        proc.stdin.flush()
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while expect.encode() not in out:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.poll() is not None and proc.stderr else ""
                raise AssertionError(f"{tool} console {name}: no {expect!r} after {timeout:.0f}s "
                                     f"(rc={proc.returncode}); got:\n{out.decode(errors='replace')[-800:]}{err}")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    continue
                out += chunk
        proc.stdin.write(ESCAPE)
        proc.stdin.flush()
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out.decode(errors="replace").replace("\r", "")
