"""xm + xend (libxl backend) drive one real PV guest through its life, and
Xen's own `xl` checks every step.

Like test_xl_guest.py the scenarios run in file order against one guest
(booting costs ~25 s under TCG); when an early step fails the later ones
fail too rather than pretend.  Each scenario is named after the xm command
it proves.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

import lab_guest
import lab_xl as xl
from lab_xend import XendProcess
from lab_xm import XVDA, XVDB, console_run, running, wait_backend, xl_cpu_seconds, xm_list

pytestmark = pytest.mark.lab

NAME = "lab-xm"


@pytest.fixture(scope="module")
def g() -> Iterator[lab_guest.LabGuest]:
    lab_guest.force_destroy(NAME)
    guest = lab_guest.LabGuest(NAME, memory_mb=128, maxmem_mb=256, vcpus=2)
    guest.write_config()
    yield guest
    lab_guest.force_destroy(NAME)
    guest.remove_files()
    for leftover in ("xvdb.img", "save"):
        (lab_guest.WORK_DIR / f"{NAME}-{leftover}").unlink(missing_ok=True)


@pytest.mark.scenario("create")
def test_xm_create(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    g.mark_console()
    xend.xm("create", str(g.config_path))
    g.wait_for_marker(r"^READY", timeout=180)
    markers = g.markers()
    assert any(m.startswith("DISK xvda sectors=32768") for m in markers), markers
    assert any(m.startswith(f"NIC eth0 mac={g.macs[0]}") for m in markers), markers
    wait_backend("vbd", NAME, XVDA)
    wait_backend("vif", NAME, 0)


@pytest.mark.scenario("list")
def test_xm_list(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    dom = running(NAME)
    rows = xm_list(xend)
    assert "Domain-0" in rows and rows["Domain-0"].domid == 0, rows
    row = rows[NAME]
    assert row.domid == dom.domid
    assert row.vcpus == dom.vcpus == 2
    assert abs(row.mem_mb - dom.mem_mb) <= 2, (row, dom)
    assert xl.settled_flags(row.state) == xl.settled_flags(dom.state), (row, dom)
    # ...and r/b is only ever one of them (a running guest is either).
    assert len(row.state) == 6 and set(row.state) <= set("rbpscd-"), row
    long = xend.xm("list", "-l", NAME).stdout
    assert re.search(rf"\(name {NAME}\)", long), long
    assert re.search(rf"\(domid {dom.domid}\)", long), long
    assert re.search(r"\(memory 128\)", long), long
    assert re.search(r"\(maxmem 256\)", long), long
    assert re.search(r"\(vcpus 2\)", long), long
    uuid = xl.long_info(NAME)["config"]["c_info"]["uuid"]
    assert f"(uuid {uuid})" in long, long


@pytest.mark.scenario("pause")
def test_xm_pause(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    xend.xm("pause", NAME)
    assert running(NAME).paused
    assert "p" in xm_list(xend, NAME)[NAME].state
    frozen = xl_cpu_seconds(NAME)
    time.sleep(3)
    assert xl_cpu_seconds(NAME) == frozen, "cpu time moved while paused"


@pytest.mark.scenario("unpause")
def test_xm_unpause(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    assert running(NAME).paused, "not paused (the pause scenario failed?)"
    xend.xm("unpause", NAME)
    assert not running(NAME).paused
    assert "p" not in xm_list(xend, NAME)[NAME].state
    # It runs again: its shell answers (an idle guest's cpu time may take
    # longer than a test should wait to show in xl's tenths of a second).
    console_run(xend, NAME, "echo LAB-UNPAUSED-$((6*7))", "LAB-UNPAUSED-42")


@pytest.mark.scenario("mem-set")
def test_xm_mem_set(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    dom = running(NAME)
    xend.xm("mem-set", NAME, "96")
    assert xl.xenstore_read(f"/local/domain/{dom.domid}/memory/target") == str(96 * 1024)
    # The guest's balloon driver gives the memory back: Xen's count follows.
    xl.wait_for(lambda: abs(running(NAME).mem_mb - 96) <= 2, timeout=60, what="balloon to 96 MiB")
    assert abs(xm_list(xend, NAME)[NAME].mem_mb - 96) <= 2
    xend.xm("mem-set", NAME, "160")           # above memory=, within maxmem=
    xl.wait_for(lambda: abs(running(NAME).mem_mb - 160) <= 2, timeout=60, what="balloon to 160 MiB")
    xend.xm("mem-set", NAME, "128")
    xl.wait_for(lambda: abs(running(NAME).mem_mb - 128) <= 2, timeout=60, what="balloon to 128 MiB")


@pytest.mark.scenario("mem-max")
def test_xm_mem_max(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    dom = running(NAME)
    xend.xm("mem-max", NAME, "200")
    # libxl_domain_setmaxmem records the new ceiling as memory/static-max.
    assert xl.xenstore_read(f"/local/domain/{dom.domid}/memory/static-max") == str(200 * 1024)
    assert re.search(r"\(maxmem 200\)", xend.xm("list", "-l", NAME).stdout)
    refused = xend.xm("mem-set", NAME, "230", check=False)
    assert refused.returncode != 0 and "Error" in refused.stderr, refused
    xend.xm("mem-max", NAME, "256")
    assert xl.xenstore_read(f"/local/domain/{dom.domid}/memory/static-max") == str(256 * 1024)


def _vcpu_rows() -> list[list[str]]:
    # Name ID VCPU CPU State Time(s) Affinity(Hard / Soft)
    return [ln.split() for ln in xl.run("vcpu-list", NAME).stdout.splitlines()[1:]]


@pytest.mark.scenario("vcpu-set")
def test_xm_vcpu_set(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    xend.xm("vcpu-set", NAME, "1")
    # The guest takes vcpu 1 offline when it sees cpu/1/availability.
    xl.wait_for(lambda: running(NAME).vcpus == 1, timeout=60, what="one vcpu online")
    vcpu1 = next(r for r in _vcpu_rows() if r[2] == "1")
    assert vcpu1[4] == "--p", vcpu1
    assert xm_list(xend, NAME)[NAME].vcpus == 1
    domid = running(NAME).domid
    assert xl.xenstore_read(f"/local/domain/{domid}/cpu/1/availability") == "offline"
    xend.xm("vcpu-set", NAME, "2")
    assert xl.xenstore_read(f"/local/domain/{domid}/cpu/1/availability") == "online"
    assert xl.xenstore_read(f"/local/domain/{domid}/cpu/0/availability") == "online"
    # Linux makes a returning vcpu present; the guest's /etc/cpu-online
    # (udev's job in a distribution) brings it online.
    xl.wait_for(lambda: running(NAME).vcpus == 2, timeout=60, what="two vcpus online")
    assert xm_list(xend, NAME)[NAME].vcpus == 2


@pytest.mark.scenario("vcpu-pin")
def test_xm_vcpu_pin(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    xend.xm("vcpu-pin", NAME, "0", "1")
    vcpu0 = next(r for r in _vcpu_rows() if r[2] == "0")
    assert vcpu0[6] == "1", vcpu0
    ours = [ln.split() for ln in xend.xm("vcpu-list", NAME).stdout.splitlines()[1:]]
    assert next(r for r in ours if r[2] == "0")[-1] == "1", ours
    xend.xm("vcpu-pin", NAME, "all", "all")
    assert all(r[6] == "all" for r in _vcpu_rows()), _vcpu_rows()


@pytest.mark.scenario("sched-credit2")
def test_xm_sched_credit2(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    xend.xm("sched-credit2", "-d", NAME, "-w", "512")
    out = xl.run("sched-credit2", "-d", NAME).stdout
    assert re.search(rf"^{NAME}\s+\d+\s+512\b", out, re.M), out
    ours = xend.xm("sched-credit2", "-d", NAME).stdout
    assert re.search(rf"^{NAME}\s+\d+\s+512\b", ours, re.M), ours
    xend.xm("sched-credit2", "-d", NAME, "-w", "256")


@pytest.mark.scenario("sched-credit")
def test_xm_sched_credit(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    # Xen 4.17 runs credit2 on the host's pool: xm 4.4's answer, not a traceback.
    scheduler = next(ln.split(":", 1)[1].strip() for ln in xl.run("info").stdout.splitlines()
                     if ln.startswith("xen_scheduler"))
    res = xend.xm("sched-credit", "-d", NAME, "-w", "512", check=False)
    if scheduler == "credit":
        assert res.returncode == 0, res
        out = xl.run("sched-credit", "-d", NAME).stdout
        assert re.search(rf"^{NAME}\s+\d+\s+512\b", out, re.M), out
    else:
        assert res.returncode == 1, res
        assert res.stderr.strip() == f"Error: Xen is running with the {scheduler} scheduler", res.stderr


@pytest.mark.scenario("block-attach")
def test_xm_block_attach(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    disk = lab_guest.WORK_DIR / f"{NAME}-xvdb.img"
    with open(disk, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    xend.xm("block-attach", NAME, f"file:{disk}", "xvdb", "w")
    wait_backend("vbd", NAME, XVDB)
    assert str(XVDB) in xl.run("block-list", NAME).stdout
    assert str(XVDB) in xend.xm("block-list", NAME).stdout


@pytest.mark.scenario("block-detach")
def test_xm_block_detach(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    xend.xm("block-detach", NAME, "xvdb")
    xl.wait_for(lambda: str(XVDB) not in xl.run("block-list", NAME).stdout, timeout=60,
                what="xvdb to leave xl block-list")
    assert str(XVDB) not in xend.xm("block-list", NAME).stdout
    assert str(XVDA) in xend.xm("block-list", NAME).stdout


def _xl_vifs() -> list[str]:
    return xl.run("network-list", NAME).stdout.splitlines()[1:]


@pytest.mark.scenario("network-attach")
def test_xm_network_attach(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    xend.xm("network-attach", NAME, "bridge=xenbr0")
    wait_backend("vif", NAME, 1)
    assert len(_xl_vifs()) == 2, _xl_vifs()
    ours = xend.xm("network-list", NAME).stdout.splitlines()[1:]
    assert len(ours) == 2, ours


@pytest.mark.scenario("network-detach")
def test_xm_network_detach(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    xend.xm("network-detach", NAME, "1")
    xl.wait_for(lambda: len(_xl_vifs()) == 1, timeout=60, what="xl network-list back to one vif")
    ours = xend.xm("network-list", NAME).stdout.splitlines()[1:]
    assert len(ours) == 1, ours


@pytest.mark.scenario("console")
def test_xm_console(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    out = console_run(xend, NAME, "echo LAB-CONSOLE-$((6*7))", "LAB-CONSOLE-42")
    assert "LAB-CONSOLE-42" in out


@pytest.mark.scenario("save")
def test_xm_save(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    state = lab_guest.WORK_DIR / f"{NAME}-save"
    xend.xm("save", NAME, str(state), timeout=240)
    xl.wait_gone(NAME, timeout=30)
    assert state.stat().st_size > 32 * 1024 * 1024
    assert NAME not in xm_list(xend)


@pytest.mark.scenario("restore")
def test_xm_restore(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    state = lab_guest.WORK_DIR / f"{NAME}-save"
    assert state.exists(), "no saved image (the save scenario failed?)"
    g.mark_console()
    try:
        xend.xm("restore", str(state), timeout=240)
    finally:
        state.unlink(missing_ok=True)
    dom = running(NAME)
    assert not dom.paused
    assert xm_list(xend, NAME)[NAME].domid == dom.domid
    # The same kernel carried on: its block front-end reconnected, it did
    # not boot again, and its shell answers on the console.
    wait_backend("vbd", NAME, XVDA)
    assert not any(m.startswith("BOOTED") for m in g.markers()), g.markers()
    console_run(xend, NAME, "echo LAB-RESTORED-$((6*7))", "LAB-RESTORED-42")


@pytest.mark.scenario("xend-kill-restart")
def test_xend_kill_restart(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    dom = running(NAME)
    before = {n: r.domid for n, r in xm_list(xend).items()}
    xend.kill9()
    assert running(NAME).domid == dom.domid, "the guest went with xend"
    xend.start()
    after = {n: r.domid for n, r in xm_list(xend).items()}
    assert after == before
    # And the restarted xend drives it.
    xend.xm("mem-set", NAME, "120")
    xl.wait_for(lambda: abs(running(NAME).mem_mb - 120) <= 2, timeout=60, what="balloon to 120 MiB")
    xend.xm("mem-set", NAME, "128")


@pytest.mark.scenario("reboot")
def test_xm_reboot(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    before = running(NAME).domid
    g.mark_console()
    xend.xm("reboot", NAME)
    # on_reboot="restart": xend (not libxl) starts it again.
    g.wait_for_marker(r"^READY", timeout=180)
    after = running(NAME).domid
    assert after != before
    assert xm_list(xend, NAME)[NAME].domid == after


@pytest.mark.scenario("shutdown")
def test_xm_shutdown(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    running(NAME)
    g.mark_console()
    xend.xm("shutdown", "-w", NAME, timeout=120)
    xl.wait_gone(NAME)          # on_poweroff="destroy"
    assert any(m.startswith("SHUTDOWN") for m in g.markers()), g.markers()
    assert NAME not in xm_list(xend)


@pytest.mark.scenario("destroy")
def test_xm_destroy(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    xl.wait_gone(NAME)
    xend.xm("create", str(g.config_path))
    assert running(NAME)
    t = time.monotonic()
    xend.xm("destroy", NAME)
    xl.wait_gone(NAME, timeout=30)
    assert time.monotonic() - t < 30
    assert NAME not in xm_list(xend)
