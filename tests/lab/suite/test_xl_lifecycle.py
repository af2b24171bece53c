"""Lab self-test: Xen's own `xl` drives a real PV guest through its lifecycle.

These prove the lab (Xen, dom0, backends, the test guest), not our xm: hence
the xl- scenario names.  The tests run in file order against one guest;
when an early step fails the later ones fail too rather than pretend.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import guest as lab_guest
import xl

pytestmark = pytest.mark.lab

NAME = "lab-xl"


@pytest.fixture(scope="module")
def g() -> Iterator[lab_guest.LabGuest]:
    lab_guest.force_destroy(NAME)            # leftovers of an aborted run
    guest = lab_guest.LabGuest(NAME, memory_mb=128, maxmem_mb=256, vcpus=2)
    guest.write_config()
    yield guest
    lab_guest.force_destroy(NAME)
    guest.remove_files()


def running(name: str = NAME) -> xl.Domain:
    dom = xl.domain(name)
    if dom is None:
        pytest.fail(f"guest {name} is not running (an earlier scenario failed?)")
    return dom


@pytest.mark.scenario("xl-create")
def test_xl_create(g: lab_guest.LabGuest) -> None:
    g.mark_console()
    xl.run("create", str(g.config_path), timeout=180)
    g.wait_for_marker(r"^READY", timeout=180)
    markers = g.markers()
    assert any(m.startswith("DISK xvda") for m in markers), markers
    assert any(m.startswith("NIC eth0") for m in markers), markers
    # The backends saw the front-ends connect (state 4 = Connected).
    domid = running().domid
    assert xl.xenstore_read(f"/local/domain/0/backend/vbd/{domid}/51712/state") == "4"
    assert xl.xenstore_read(f"/local/domain/0/backend/vif/{domid}/0/state") == "4"


@pytest.mark.scenario("xl-list")
def test_xl_list(g: lab_guest.LabGuest) -> None:
    dom = running()
    assert dom.vcpus == 2
    assert 100 <= dom.mem_mb <= 130, dom
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
    xl.run("mem-set", NAME, "96m")
    # The guest's balloon driver gives the memory back asynchronously.
    xl.wait_for(lambda: abs(running().mem_mb - 96) <= 2, timeout=60, what="balloon to 96 MiB")
    xl.run("mem-set", NAME, "160m")       # above memory=, below maxmem=
    xl.wait_for(lambda: abs(running().mem_mb - 160) <= 2, timeout=60, what="balloon to 160 MiB")


@pytest.mark.scenario("xl-save-restore")
def test_xl_save_restore(g: lab_guest.LabGuest, tmp_path: Path) -> None:
    before = running()
    state = lab_guest.WORK_DIR / f"{NAME}.save"
    xl.run("save", NAME, str(state), timeout=180)
    try:
        assert xl.domain(NAME) is None
        assert state.stat().st_size > 16 * 1024 * 1024
        xl.run("restore", str(state), timeout=180)
    finally:
        state.unlink(missing_ok=True)
    after = running()
    assert after.domid != before.domid
    assert not after.paused
    # The restored kernel really resumed: its block front-end reconnected.
    xl.wait_for(lambda: xl.xenstore_read(f"/local/domain/0/backend/vbd/{after.domid}/51712/state") == "4",
                timeout=60, what="vbd to reconnect after restore")


@pytest.mark.scenario("xl-shutdown")
def test_xl_shutdown(g: lab_guest.LabGuest) -> None:
    running()
    xl.run("shutdown", "-w", NAME, timeout=120)
    xl.wait_gone(NAME)
    assert any(m.startswith("SHUTDOWN") for m in g.markers()), g.markers()


@pytest.mark.scenario("xl-destroy")
def test_xl_destroy(g: lab_guest.LabGuest) -> None:
    xl.wait_gone(NAME)
    g.mark_console()
    xl.run("create", str(g.config_path), timeout=180)
    g.wait_for_marker(r"^BOOTED", timeout=180)
    t = time.monotonic()
    xl.run("destroy", NAME)
    xl.wait_gone(NAME, timeout=30)
    assert time.monotonic() - t < 30
