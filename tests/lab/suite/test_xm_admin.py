"""xm's admin commands on a real host, each cross-checked with Xen's `xl`:
domstate (against `xl list`'s flags), debug-keys (its output in `xl dmesg`,
and `xl debug-keys` output in `xm dmesg`), dump-core (against `xl
dump-core` of the same paused guest) and list --state.

One small guest, created paused (`xm create -p`).  The scenarios run in
file order against it: the first ones while it has never run; dump-core of
a PV guest that never ran is refused (its kernel sets up the memory map a
dump walks; `xl dump-core` fails on it too), so the dump-core scenario then
boots it, and the last one (dump-core -C) destroys it.
"""
from __future__ import annotations

import re
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

import lab_guest
import lab_xl as xl
from lab_xend import XendProcess
from lab_xm import running, xm_list
from xend.hv.sim.coredump import (XEN_ELFNOTE_DUMPCORE_HEADER, XEN_ELFNOTE_DUMPCORE_NONE,
                                  elf_notes)

pytestmark = pytest.mark.lab

NAME = "lab-xm-admin"
# The PV kernel alone spans ~75 MiB of guest memory (its ELF segments from
# 16 MiB up), and the guest boots for dump-core: 128 MiB, as the lab's
# other booting guests.
MEMORY_MB = 128
DUMP_DIR = Path("/var/xen/dump")        # xend's default xend-dump-path
HANDLERS_LINE = "'h' pressed -> showing installed handlers"


@pytest.fixture(scope="module")
def g() -> Iterator[lab_guest.LabGuest]:
    lab_guest.force_destroy(NAME)
    guest = lab_guest.LabGuest(NAME, memory_mb=MEMORY_MB, maxmem_mb=MEMORY_MB, vcpus=1, vifs=0)
    guest.write_config()
    yield guest
    lab_guest.force_destroy(NAME)
    guest.remove_files()
    for core in lab_guest.WORK_DIR.glob(f"{NAME}-*.core"):
        core.unlink()


def _core(label: str) -> Path:
    path = lab_guest.WORK_DIR / f"{NAME}-{label}.core"
    path.unlink(missing_ok=True)
    return path


def _header(path: Path) -> tuple[int, int, int, int]:
    """(magic, nr_vcpus, nr_pages, page_size) of a Xen dump-core file."""
    notes = {(owner, kind): desc for owner, kind, desc in elf_notes(path.read_bytes())}
    assert ("Xen", XEN_ELFNOTE_DUMPCORE_NONE) in notes, sorted(notes)
    magic, vcpus, pages, page_size = struct.unpack_from("<QQQQ", notes[("Xen", XEN_ELFNOTE_DUMPCORE_HEADER)])
    return magic, vcpus, pages, page_size


def _dmesg_count(text: str, line: str) -> int:
    return sum(1 for ln in text.splitlines() if ln.endswith(line))


@pytest.mark.scenario("create-paused")
def test_xm_create_paused(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    xend.xm("create", "-p", str(g.config_path))
    assert running(NAME).paused
    assert "p" in xm_list(xend, NAME)[NAME].state


@pytest.mark.scenario("domstate")
def test_xm_domstate(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    assert running(NAME).paused                      # xl agrees: --p---
    assert xend.xm("domstate", NAME).stdout == "paused\n"
    # Paused by xm pause (Xen counts: a second pause, still paused).
    xend.xm("pause", NAME)
    assert running(NAME).paused
    assert xend.xm("domstate", NAME).stdout == "paused by admin\n"
    xend.xm("unpause", NAME)                         # back to the create's pause
    assert running(NAME).paused
    assert xend.xm("domstate", NAME).stdout == "paused\n"
    # Domain-0 runs the toolstack: r (or b between two listings).
    dom0 = xend.xm("domstate", "Domain-0").stdout
    assert dom0 in ("running\n", "idle\n"), dom0
    assert "p" not in xl.list_domains()["Domain-0"].state
    missing = xend.xm("domstate", "lab-no-such-guest", check=False)
    assert missing.returncode == 3, missing
    assert missing.stderr == "Error: Domain 'lab-no-such-guest' does not exist.\n", missing


@pytest.mark.scenario("debug-keys")
def test_xm_debug_keys(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    before = _dmesg_count(xl.run("dmesg").stdout, HANDLERS_LINE)
    assert xend.xm("debug-keys", "h").stdout == ""
    xl_after = xl.run("dmesg").stdout
    assert _dmesg_count(xl_after, HANDLERS_LINE) == before + 1, xl_after[-2000:]
    assert " key 'q' (ascii '71') => dump domain (and guest debug) info" in xl_after
    # The other way round: what `xl debug-keys q` makes Xen print, xm dmesg shows.
    domid = running(NAME).domid
    xl.run("debug-keys", "q")
    ours = xend.xm("dmesg").stdout
    assert f"General information for domain {domid}:" in ours, ours[-2000:]
    assert re.search(r"'q' pressed -> dumping domain info \(now = ", ours), ours[-2000:]
    # What can do nothing is refused with one line (xl accepts it silently).
    for keys in ("", "h q"):
        refused = xend.xm("debug-keys", keys, check=False)
        assert refused.returncode == 1, refused
        assert refused.stderr.startswith("Error: ") and "Traceback" not in refused.stderr, refused


@pytest.mark.scenario("dump-core-never-ran")
def test_xm_dump_core_never_ran(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    dom = running(NAME)
    assert dom.paused and dom.cpu_time == 0, dom
    theirs, ours = _core("xl-never-ran"), _core("xm-never-ran")
    assert xl.run("dump-core", NAME, str(theirs), check=False, timeout=120).returncode != 0
    refused = xend.xm("dump-core", NAME, str(ours), check=False, timeout=120)
    assert refused.returncode == 1, refused
    # One error line (xm 4.4 follows a refusal with the command's usage).
    first = refused.stderr.splitlines()[0]
    assert first.startswith("Error: Failed to dump core: ") and "never run" in first, refused
    assert "Traceback" not in refused.stderr, refused
    assert not ours.exists() and not list(lab_guest.WORK_DIR.glob(".tmp-*"))
    assert running(NAME).paused
    theirs.unlink(missing_ok=True)


@pytest.mark.scenario("dump-core")
def test_xm_dump_core_matches_xl(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    assert running(NAME).paused
    g.mark_console()
    xend.xm("unpause", NAME)
    g.wait_for_marker(r"^READY", timeout=180)
    xend.xm("pause", NAME)
    assert running(NAME).paused
    theirs, ours = _core("xl"), _core("xm")
    xl.run("dump-core", NAME, str(theirs), timeout=300)
    out = xend.xm("dump-core", NAME, str(ours), timeout=300).stdout
    assert out == f"Dumping core of domain: {NAME} ...\n", out
    assert stat.S_IMODE(ours.stat().st_mode) == 0o600
    magic, vcpus, pages, page_size = _header(ours)
    assert (magic, vcpus, pages, page_size) == _header(theirs)
    assert (vcpus, page_size) == (1, 4096)
    assert pages * page_size >= (MEMORY_MB - 4) << 20, pages
    # The same paused guest, so the same pages: the same size give or take
    # what differs between two dumps (none expected, 1% allowed).
    assert abs(ours.stat().st_size - theirs.stat().st_size) <= theirs.stat().st_size // 100
    assert not list(lab_guest.WORK_DIR.glob(".tmp-*")), "a temporary core was left behind"
    assert running(NAME).paused, "a paused guest must stay paused after xm dump-core"
    theirs.unlink()
    ours.unlink()


@pytest.mark.scenario("dump-core-default-path")
def test_xm_dump_core_default_path(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    # A running guest: paused for the dump (not --live), running after it.
    xend.xm("unpause", NAME)
    domid = running(NAME).domid
    assert not running(NAME).paused
    before = set(DUMP_DIR.glob(f"{NAME}/*.core"))
    xend.xm("dump-core", NAME, timeout=300)
    made = set(DUMP_DIR.glob(f"{NAME}/*.core")) - before
    assert len(made) == 1, made
    core = made.pop()
    try:
        assert re.fullmatch(rf"\d{{4}}-\d{{4}}-\d{{4}}\.\d\d-{NAME}\.{domid}\.core", core.name), core.name
        assert _header(core)[1] == 1
    finally:
        core.unlink()
    assert not running(NAME).paused, "a running guest must run again after xm dump-core"


@pytest.mark.scenario("list-state")
def test_xm_list_state(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    if not running(NAME).paused:
        xend.xm("pause", NAME)
    assert running(NAME).paused
    header = xend.xm("list").stdout.splitlines()[0]
    assert NAME in xm_list_state(xend, "Paused")
    assert NAME not in xm_list_state(xend, "running")
    assert "Domain-0" in xm_list_state(xend, "running")
    assert xend.xm("list", "--state=no-such-state").stdout == header + "\n"
    both = xend.xm("list", "--state=paused", NAME, check=False)
    assert both.returncode == 1 and "but not both" in both.stderr, both


def xm_list_state(xend: XendProcess, state: str) -> list[str]:
    return [line.split()[0] for line in xend.xm("list", f"--state={state}").stdout.splitlines()[1:]]


@pytest.mark.scenario("dump-core-crash")
def test_xm_dump_core_crash_destroys(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    core = _core("crash")
    xend.xm("dump-core", "-C", NAME, str(core), timeout=300)
    xl.wait_gone(NAME, timeout=60)
    assert _header(core)[1] == 1
    core.unlink()


def _section(text: str, start: str, row: str) -> dict[int, tuple[int, ...]]:
    """The rows matching ``row`` from the line starting ``start`` to the
    next ``key : value`` line (or the end), keyed by their first number."""
    rows: dict[int, tuple[int, ...]] = {}
    inside = False
    for line in text.splitlines():
        if line.startswith(start):
            inside = True
            continue
        if inside and re.match(r"^[a-z][a-z_ ]* +:", line):
            break
        match = re.match(row, line) if inside else None
        if match:
            numbers = tuple(int(n) for n in match.groups())
            rows[numbers[0]] = numbers[1:]
    return rows


CPU_ROW = r"^\s*(\d+):\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s*$"


@pytest.mark.scenario("info-numa")
def test_xm_info_numa_matches_xl(xend: XendProcess) -> None:
    """`xm info -n`'s cpu_topology has xl's rows (cpu: core socket node),
    and numa_info the same nodes with the same total memory in MiB."""
    ours = xend.xm("info", "-n").stdout
    theirs = xl.run("info", "-n").stdout
    our_cpus = _section(ours, "cpu_topology ", CPU_ROW)
    xl_cpus = _section(theirs, "cpu_topology ", CPU_ROW)
    assert our_cpus and our_cpus == xl_cpus, (ours, theirs)
    our_nodes = _section(ours, "numa_info ", r"^\s*(\d+):\s+(\d+)MB")
    xl_nodes = _section(theirs, "numa_info ", r"^\s*(\d+):\s+(\d+)\s")
    assert our_nodes and our_nodes == xl_nodes, (ours, theirs)
    assert "cpu_topology" not in xend.xm("info").stdout
