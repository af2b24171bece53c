"""xl's save files between xl and xm on a real host, with one PV guest.

`xl save` of a guest xl created -> `xm restore` of that file (xend now runs
the guest), then `xm save --xl` of it -> `xl restore` (xl runs it again).
Each time the same kernel carries on: it does not boot again, its block
front-end reconnects and its shell answers on the console.  The scenarios
run in file order against the one guest; when the first fails the second
fails too rather than pretend.

The xl header is checked here from xl's facts (the bytes, not the
project's parser): 32-byte magic, then byte-order mark, mandatory flags
(JSON | STREAMv2 = 3), optional flags and optional data length as native
uint32, then the config length and the NUL-terminated JSON.
"""
from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

import lab_guest
import lab_xl as xl
from lab_xend import XendProcess
from lab_xm import XVDA, console_run, running, wait_backend, xm_list

pytestmark = pytest.mark.lab

NAME = "lab-xlf"
XL_MAGIC = b"Xen saved domain, xl format\n \0 \r"


def _state(tag: str) -> Path:
    return lab_guest.WORK_DIR / f"{NAME}-{tag}.save"


@pytest.fixture(scope="module")
def g() -> Iterator[lab_guest.LabGuest]:
    lab_guest.force_destroy(NAME)
    guest = lab_guest.LabGuest(NAME, memory_mb=128, maxmem_mb=256, vcpus=2)
    guest.write_config()
    yield guest
    lab_guest.force_destroy(NAME)
    guest.remove_files()
    for tag in ("xl", "xm"):
        _state(tag).unlink(missing_ok=True)


def _xl_header(path: Path) -> tuple[int, dict]:
    """(mandatory flags, config JSON) of an xl save file's header."""
    with open(path, "rb") as f:
        head = f.read(48)
        assert head[:32] == XL_MAGIC, head[:32]
        mark, mandatory, _optional, optlen = struct.unpack("=4I", head[32:])
        assert mark == 0x01020304, hex(mark)        # written on this host
        optional = f.read(optlen)
    (config_len,) = struct.unpack("=I", optional[:4])
    config = optional[4:4 + config_len]
    assert config.endswith(b"\0"), config[-16:]
    return mandatory, json.loads(config[:-1].decode())


def _carried_on(g: lab_guest.LabGuest) -> None:
    """The restored kernel resumed: no second boot, the disk reconnected."""
    wait_backend("vbd", NAME, XVDA)
    assert not any(m.startswith("BOOTED") for m in g.markers()), g.markers()


@pytest.mark.scenario("restore-xl-save")
def test_xm_restore_of_an_xl_save(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    g.mark_console()
    xl.run("create", str(g.config_path), timeout=180)
    g.wait_for_marker(r"^READY", timeout=180)
    uuid = xl.long_info(NAME)["config"]["c_info"]["uuid"]
    state = _state("xl")
    xl.run("save", NAME, str(state), timeout=240)
    xl.wait_gone(NAME, timeout=30)
    mandatory, config = _xl_header(state)
    assert mandatory == 3 and config["c_info"]["name"] == NAME, (mandatory, config)
    g.mark_console()
    try:
        xend.xm("restore", str(state), timeout=240)
    finally:
        state.unlink(missing_ok=True)
    dom = running(NAME)
    assert not dom.paused
    row = xm_list(xend, NAME)[NAME]
    assert row.domid == dom.domid and row.vcpus == 2, row
    long = xend.xm("list", "-l", NAME).stdout
    for item in (f"(uuid {uuid})", "(maxmem 256)", "(vcpus 2)", g.macs[0]):
        assert item in long, (item, long)
    _carried_on(g)
    wait_backend("vif", NAME, 0)
    console_run(xend, NAME, "echo LAB-XL-TO-XM-$((6*7))", "LAB-XL-TO-XM-42")


@pytest.mark.scenario("save-xl")
def test_xm_save_xl_then_xl_restore(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    before = running(NAME)
    state = _state("xm")
    xend.xm("save", "--xl", NAME, str(state), timeout=240)
    xl.wait_gone(NAME, timeout=30)
    assert NAME not in xm_list(xend)
    assert state.stat().st_size > 32 * 1024 * 1024
    mandatory, config = _xl_header(state)
    assert mandatory == 3, mandatory
    assert config["c_info"]["name"] == NAME and "domid" not in config["c_info"], config
    assert config["b_info"]["max_memkb"] == 256 * 1024, config["b_info"]
    g.mark_console()
    try:
        xl.run("restore", str(state), timeout=240)
    finally:
        state.unlink(missing_ok=True)
    after = running(NAME)
    assert after.domid != before.domid and not after.paused
    _carried_on(g)
    # The guest answers, through xm console: `xl console` on pipes printed
    # nothing in 60 s (lab run 7), while the same check after xm restore
    # passes through xm console.
    console_run(xend, NAME, "echo LAB-XM-TO-XL-$((6*7))", "LAB-XM-TO-XL-42")
