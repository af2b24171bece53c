"""QEMU command line for the lab (Xen + Debian dom0 under TCG) and a runner
that always leaves no QEMU behind.

Xen is loaded with QEMU's multiboot loader: -kernel is the decompressed
hypervisor ELF, -initrd is the list of multiboot modules ("file args", comma
separated), i.e. dom0's kernel with its command line, then its initramfs.
KVM is not used on purpose: this machine's /dev/kvm is a nested software
hypervisor without VMX and Xen's dom0 never gets past its first hypercall.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# LAB_QEMU_ACCEL and LAB_XEN_CMDLINE override -accel and Xen's command line
# (experiments; see tests/lab/README.md).
ACCEL = os.environ.get("LAB_QEMU_ACCEL", "tcg,thread=multi,tb-size=512")
# max: emulated SVM too, so PVH guests work.  -smap: with TCG's SMAP
# (QEMU 7.2) dom0's Debian 6.1 kernel takes an unhandled #PF on its first
# IRET and Xen crashes it ("Hardware Dom0 crashed").  LAB_QEMU_CPU overrides.
CPU = os.environ.get("LAB_QEMU_CPU", "max,-smap")
# spec-ctrl=eager-fpu: Xen restores a vCPU's FPU/SSE/AVX state on every
# switch instead of lazily on the first #NM trap (its default on AMD, which
# -cpu max claims to be).  Lazily, under TCG, processes on one vCPU saw
# another's vector registers: fpcheck found a fifth of its rounds corrupted,
# in SSE and AVX alike, in dom0 and in guests -- the memory corruption that
# crashed xend, systemd and udevd in dom0.  Eagerly, none in 260,000
# rounds, so dom0 has both vCPUs again.  See tests/lab/README.md, "Status".
XEN_CMDLINE = os.environ.get(
    "LAB_XEN_CMDLINE",
    "dom0_mem=1024M,max:1024M dom0_max_vcpus=2 spec-ctrl=eager-fpu console=com1 com1=115200,8n1")
DOM0_CMDLINE = "root=/dev/vda rw console=hvc0 net.ifnames=0"


@dataclass
class Share:
    tag: str          # mount tag dom0 mounts (see image/overlay/usr/local/sbin/xen-lab-mount)
    path: Path


@dataclass
class VmSpec:
    xen: Path
    dom0_kernel: Path
    dom0_initrd: Path
    disk: Path
    serial_log: Path | None       # None: serial on stdio (interactive shell)
    shares: list[Share] = field(default_factory=list)
    autorun: bool = True
    memory_mb: int = 4096
    cpus: int = 2


def _no_comma(p: Path) -> str:
    s = str(p)
    if "," in s:   # QEMU option syntax would need ",," escaping; not worth it
        raise ValueError(f"path must not contain a comma: {s}")
    return s


def command(spec: VmSpec) -> list[str]:
    dom0_args = DOM0_CMDLINE + (" xenlab.autorun=1" if spec.autorun else "")
    modules = f"{_no_comma(spec.dom0_kernel)} {dom0_args},{_no_comma(spec.dom0_initrd)}"
    cmd = [
        "qemu-system-x86_64",
        "-accel", ACCEL,
        "-cpu", CPU,
        "-m", str(spec.memory_mb), "-smp", str(spec.cpus),
        "-display", "none", "-vga", "none", "-no-reboot",
        "-kernel", _no_comma(spec.xen),
        "-append", XEN_CMDLINE,
        "-initrd", modules,
        # snapshot=on: every run starts from the pristine cached image.
        "-drive", f"file={_no_comma(spec.disk)},if=virtio,format=raw,snapshot=on,cache=unsafe",
        "-netdev", "user,id=net0",
        "-device", "virtio-net-pci,netdev=net0",
    ]
    for share in spec.shares:
        cmd += ["-virtfs", f"local,path={_no_comma(share.path)},mount_tag={share.tag},"
                           f"security_model=none,id={share.tag}"]
    if spec.serial_log is None:
        cmd += ["-serial", "mon:stdio"]
    else:
        cmd += ["-serial", f"file:{_no_comma(spec.serial_log)}", "-monitor", "none"]
    return cmd


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM (e.g. from make or a CI timeout) unwinds like Ctrl-C, so the
    # finally below still kills QEMU.
    raise KeyboardInterrupt


@dataclass
class VmResult:
    exit_code: int | None        # None: killed on timeout
    seconds: float
    timed_out: bool
    hung_after_done: bool = False   # finished() held, yet no power-off: killed


def run(spec: VmSpec, timeout_s: float, poll: Callable[[], None] | None = None,
        poll_every_s: float = 2.0, finished: Callable[[], bool] | None = None,
        grace_s: float = 120.0) -> VmResult:
    """Runs QEMU until it exits (dom0 powered off) or timeout_s passes.

    ``finished`` says when dom0's work is done: if QEMU has not exited
    grace_s after that (dom0 could not power off, e.g. its init crashed),
    it is killed rather than left to the timeout.  QEMU is started in its
    own process group and killed with it on timeout, on an exception, or on
    SIGINT/SIGTERM to this process.
    """
    start = time.monotonic()
    proc = subprocess.Popen(command(spec), start_new_session=True,
                            stdin=subprocess.DEVNULL,
                            stdout=sys.stdout if spec.serial_log is None else subprocess.DEVNULL,
                            stderr=None)

    def kill(*_: object) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()

    old_term = signal.signal(signal.SIGTERM, _interrupt)
    done_at: float | None = None
    try:
        while True:
            try:
                rc = proc.wait(timeout=poll_every_s)
                if poll:
                    poll()
                return VmResult(rc, time.monotonic() - start, False)
            except subprocess.TimeoutExpired:
                pass
            if poll:
                poll()
            if done_at is None and finished is not None and finished():
                done_at = time.monotonic()
            if done_at is not None and time.monotonic() - done_at > grace_s:
                kill()
                return VmResult(None, time.monotonic() - start, False, True)
            if time.monotonic() - start > timeout_s:
                kill()
                return VmResult(None, time.monotonic() - start, True)
    finally:
        kill()
        signal.signal(signal.SIGTERM, old_term)


def run_interactive(spec: VmSpec) -> int:
    """Serial console on this terminal (Ctrl-a x quits QEMU)."""
    return subprocess.call(command(spec))
