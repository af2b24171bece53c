"""The lab's PV test guest: config writer and console-marker waiter.

The guest is Debian's kernel (as the ELF inside its bzImage) plus the
busybox initramfs, both made by tests/lab/guest/build-initramfs.sh (in
$LAB_GUEST_DIR).  On boot it prints
"LAB-GUEST: ..." markers on hvc0 (BOOTED, DISK xvdX, NIC ethN, MEM, READY;
SHUTDOWN when powered off), which xenconsoled logs to
/var/log/xen/console/guest-NAME.log.

The config file uses the subset of syntax that both xl and classic xm accept
(name/kernel/ramdisk/extra/memory/maxmem/vcpus, "file:PATH,VDEV,w" disks,
"bridge=...,mac=..." vifs), so later xm scenarios can pass the same file to
`xm create`.
"""
from __future__ import annotations

import os
import random
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

GUEST_DIR = Path(os.environ.get("LAB_GUEST_DIR", "/var/lib/xen-lab/guest"))
WORK_DIR = Path(os.environ.get("LAB_WORK_DIR", "/var/lib/xen-lab/run"))
CONSOLE_DIR = Path("/var/log/xen/console")
BRIDGE = "xenbr0"
MARKER = "LAB-GUEST:"


@dataclass
class Disk:
    vdev: str = "xvda"
    size_mb: int = 16


@dataclass
class LabGuest:
    name: str
    memory_mb: int = 128
    maxmem_mb: int = 256
    vcpus: int = 2
    disks: list[Disk] = field(default_factory=lambda: [Disk("xvda", 16)])
    vifs: int = 1
    # Quiet kernel console: TCG makes every printed line cost time.
    extra: str = "console=hvc0 loglevel=4"
    macs: list[str] = field(default_factory=list)
    _console_offset: int = 0

    # -- files ------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return WORK_DIR / f"{self.name}.cfg"

    def disk_path(self, disk: Disk) -> Path:
        return WORK_DIR / f"{self.name}-{disk.vdev}.img"

    @property
    def console_log(self) -> Path:
        return CONSOLE_DIR / f"guest-{self.name}.log"

    def config_text(self) -> str:
        if not self.macs:
            # Xen's OUI; random tail so concurrent guests don't collide.
            self.macs = ["00:16:3e:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(3))
                         for _ in range(self.vifs)]
        disks = ", ".join(f"'file:{self.disk_path(d)},{d.vdev},w'" for d in self.disks)
        vifs = ", ".join(f"'bridge={BRIDGE},mac={mac}'" for mac in self.macs)
        return "\n".join([
            f"# lab PV test guest {self.name} (written by tests/lab/suite/lab_guest.py)",
            f'name = "{self.name}"',
            f'kernel = "{GUEST_DIR / "kernel"}"',
            f'ramdisk = "{GUEST_DIR / "initramfs.gz"}"',
            f'extra = "{self.extra}"',
            f"memory = {self.memory_mb}",
            f"maxmem = {self.maxmem_mb}",
            f"vcpus = {self.vcpus}",
            f"disk = [{disks}]",
            f"vif = [{vifs}]",
            'on_poweroff = "destroy"',
            'on_reboot = "restart"',
            'on_crash = "destroy"',
            "",
        ])

    def write_config(self) -> Path:
        """Writes the config and creates sparse disk images; returns the config path."""
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        for d in self.disks:
            with open(self.disk_path(d), "wb") as f:
                f.truncate(d.size_mb * 1024 * 1024)
        self.config_path.write_text(self.config_text())
        return self.config_path

    # -- console ----------------------------------------------------------
    def mark_console(self) -> None:
        """Call before (re)starting the guest: later waits only look at what
        the console printed after this point (xenconsoled appends to the log
        across incarnations of the same name)."""
        try:
            self._console_offset = self.console_log.stat().st_size
        except FileNotFoundError:
            self._console_offset = 0

    def console_text(self) -> str:
        try:
            with open(self.console_log, "rb") as f:
                f.seek(self._console_offset)
                return f.read().decode(errors="replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    def markers(self) -> list[str]:
        """The LAB-GUEST marker lines printed since mark_console(), without the prefix."""
        return [ln.split(MARKER, 1)[1].strip() for ln in self.console_text().splitlines() if MARKER in ln]

    def wait_for_marker(self, pattern: str, timeout: float = 120) -> str:
        """Waits until a marker matching the regex pattern appears; returns it."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for m in self.markers():
                if rx.search(m):
                    return m
            if time.monotonic() > deadline:
                tail = "\n".join(self.console_text().splitlines()[-20:])
                raise TimeoutError(f"guest {self.name}: no marker /{pattern}/ after {timeout:.0f}s; "
                                   f"console tail:\n{tail}")
            time.sleep(0.5)

    # -- teardown ---------------------------------------------------------
    def remove_files(self) -> None:
        for d in self.disks:
            self.disk_path(d).unlink(missing_ok=True)
        self.config_path.unlink(missing_ok=True)


def force_destroy(name: str) -> None:
    """Best-effort cleanup for fixtures: destroy NAME if it still exists and
    wait for it to go, whatever toolstack created it."""
    subprocess.run(["xl", "destroy", name], capture_output=True, timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if subprocess.run(["xl", "domid", name], capture_output=True, timeout=30).returncode != 0:
            return
        time.sleep(0.5)
