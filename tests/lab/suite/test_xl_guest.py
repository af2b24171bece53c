"""Lab self-test: Xen's own `xl` drives one real PV guest through its life.

These prove the lab (Xen, dom0, backends, hotplug scripts, the test guest)
before any xm scenario depends on it, not our xm: hence the xl- names.  The
tests run in file order against one guest (booting a guest costs ~25 s under
TCG, so it is booted as few times as possible); when an early step fails the
later ones fail too rather than pretend.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

import lab_guest
import lab_xl as xl

pytestmark = pytest.mark.lab

NAME = "lab-xl"
XVDA, XVDB = 51712, 51728      # xenstore device ids (202 << 8 | 16 * n)


@pytest.fixture(scope="module")
def g() -> Iterator[lab_guest.LabGuest]:
    lab_guest.force_destroy(NAME)            # leftovers of an aborted run
    # As small as is safe, since save/restore/migrate copy all of it: the PV
    # builder needs ~60 MiB to map Debian's decompressed kernel, and the
    # guest panics out of memory when ballooned to 64 MiB.
    guest = lab_guest.LabGuest(NAME, memory_mb=128, maxmem_mb=256, vcpus=2)
    guest.write_config()
    yield guest
    lab_guest.force_destroy(NAME)
    guest.remove_files()
    (lab_guest.WORK_DIR / f"{NAME}-xvdb.img").unlink(missing_ok=True)


def running() -> xl.Domain:
    dom = xl.domain(NAME)
    if dom is None:
        pytest.fail(f"guest {NAME} is not running (an earlier scenario failed?)")
    return dom


def backend_state(kind: str, devid: int) -> str | None:
    state: str | None = xl.xenstore_read(f"/local/domain/0/backend/{kind}/{running().domid}/{devid}/state")
    return state


@pytest.mark.scenario("xl-create")
def test_xl_create(g: lab_guest.LabGuest) -> None:
    g.mark_console()
    xl.run("create", str(g.config_path), timeout=180)
    g.wait_for_marker(r"^READY", timeout=180)
    markers = g.markers()
    assert any(m.startswith("DISK xvda") for m in markers), markers
    assert any(m.startswith("NIC eth0") for m in markers), markers
    # Connected (4): the guest's front-ends found their backends.
    assert backend_state("vbd", XVDA) == "4"
    assert backend_state("vif", 0) == "4"


@pytest.mark.scenario("xl-list")
def test_xl_list(g: lab_guest.LabGuest) -> None:
    dom = running()
    assert dom.vcpus == 2
    assert 120 <= dom.mem_mb <= 130, dom
    info = xl.long_info(NAME)
    assert info["config"]["c_info"]["name"] == NAME
    assert info["domid"] == dom.domid


@pytest.mark.scenario("xl-pause-unpause")
def test_xl_pause_unpause(g: lab_guest.LabGuest) -> None:
    running()
    xl.run("pause", NAME)
    assert running().paused
    xl.run("unpause", NAME)
    assert not running().paused


@pytest.mark.scenario("xl-mem-set")
def test_xl_mem_set(g: lab_guest.LabGuest) -> None:
    running()
    # The guest's balloon driver moves memory asynchronously: poll xl list.
    xl.run("mem-set", NAME, "96m")
    xl.wait_for(lambda: abs(running().mem_mb - 96) <= 2, timeout=60, what="balloon to 96 MiB")
    xl.run("mem-set", NAME, "160m")           # above memory=, within maxmem=
    xl.wait_for(lambda: abs(running().mem_mb - 160) <= 2, timeout=60, what="balloon to 160 MiB")
    xl.run("mem-set", NAME, "128m")


@pytest.mark.scenario("xl-vcpu-pin")
def test_xl_vcpu_pin(g: lab_guest.LabGuest) -> None:
    running()
    xl.run("vcpu-pin", NAME, "0", "1")
    rows = [ln.split() for ln in xl.run("vcpu-list", NAME).stdout.splitlines()[1:]]
    # Name ID VCPU CPU State Time(s) Affinity(Hard / Soft)
    vcpu0 = next(r for r in rows if r[2] == "0")
    assert vcpu0[6] == "1", rows
    xl.run("vcpu-pin", NAME, "all", "all")


@pytest.mark.scenario("xl-sched-credit2")
def test_xl_sched_credit2(g: lab_guest.LabGuest) -> None:
    running()
    xl.run("sched-credit2", "-d", NAME, "-w", "512")
    out = xl.run("sched-credit2", "-d", NAME).stdout
    assert re.search(rf"^{NAME}\s+\d+\s+512\b", out, re.M), out


@pytest.mark.scenario("xl-block-attach-detach")
def test_xl_block_attach_detach(g: lab_guest.LabGuest) -> None:
    running()
    disk = lab_guest.WORK_DIR / f"{NAME}-xvdb.img"
    with open(disk, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    xl.run("block-attach", NAME, f"format=raw,vdev=xvdb,access=rw,target={disk}", timeout=60)
    xl.wait_for(lambda: backend_state("vbd", XVDB) == "4", timeout=60, what="xvdb to connect")
    assert str(XVDB) in xl.run("block-list", NAME).stdout
    xl.run("block-detach", NAME, "xvdb", timeout=60)
    xl.wait_for(lambda: str(XVDB) not in xl.run("block-list", NAME).stdout, timeout=60,
                what="xvdb to leave block-list")


@pytest.mark.scenario("xl-network-attach-detach")
def test_xl_network_attach_detach(g: lab_guest.LabGuest) -> None:
    running()
    xl.run("network-attach", NAME, "bridge=xenbr0", timeout=60)
    xl.wait_for(lambda: backend_state("vif", 1) == "4", timeout=60, what="second vif to connect")
    xl.run("network-detach", NAME, "1", timeout=60)
    # network-list: a header plus one line per vif.
    xl.wait_for(lambda: len(xl.run("network-list", NAME).stdout.splitlines()) == 2, timeout=60,
                what="network-list back to one vif")


@pytest.mark.scenario("xl-save-restore")
def test_xl_save_restore(g: lab_guest.LabGuest) -> None:
    before = running()
    state = lab_guest.WORK_DIR / f"{NAME}.save"
    xl.run("save", NAME, str(state), timeout=180)
    try:
        assert xl.domain(NAME) is None
        assert state.stat().st_size > 32 * 1024 * 1024
        xl.run("restore", str(state), timeout=180)
    finally:
        state.unlink(missing_ok=True)
    after = running()
    assert after.domid != before.domid
    assert not after.paused
    # The restored kernel really resumed: its block front-end reconnected.
    xl.wait_for(lambda: backend_state("vbd", XVDA) == "4", timeout=60,
                what="xvda to reconnect after restore")


@pytest.mark.scenario("xl-migrate-localhost")
def test_xl_migrate_localhost(g: lab_guest.LabGuest) -> None:
    before = running().domid
    # -s '': run the "host" string itself as the receiver instead of
    # `ssh host xl migrate-receive`: a localhost migration without sshd.
    xl.run("migrate", "-s", "", NAME, "xl migrate-receive", timeout=300)
    assert running().domid != before
    assert not any(n.startswith(NAME + "--") for n in xl.list_domains()), xl.list_domains()
    xl.wait_for(lambda: backend_state("vbd", XVDA) == "4", timeout=60,
                what="xvda to reconnect after migrate")


@pytest.mark.scenario("xl-reboot")
def test_xl_reboot(g: lab_guest.LabGuest) -> None:
    before = running().domid
    g.mark_console()
    xl.run("reboot", NAME)
    g.wait_for_marker(r"^READY", timeout=180)     # on_reboot="restart": it boots again
    assert running().domid != before


@pytest.mark.scenario("xl-shutdown")
def test_xl_shutdown(g: lab_guest.LabGuest) -> None:
    running()
    g.mark_console()
    xl.run("shutdown", "-w", NAME, timeout=120)
    # -w returns before the domain is fully torn down.
    xl.wait_gone(NAME)
    assert any(m.startswith("SHUTDOWN") for m in g.markers()), g.markers()


@pytest.mark.scenario("xl-destroy")
def test_xl_destroy(g: lab_guest.LabGuest) -> None:
    xl.wait_gone(NAME)
    xl.run("create", str(g.config_path), timeout=180)
    # Destroyed while still booting: destroy must not depend on the guest's
    # cooperation (and not waiting for its boot saves ~20 s of TCG time).
    assert running()
    t = time.monotonic()
    xl.run("destroy", NAME)
    xl.wait_gone(NAME, timeout=30)
    assert time.monotonic() - t < 30
