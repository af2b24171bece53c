"""Simulator-only: what its debug keys print, and its core files on disk
(a full file system, a symbolic link)."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sim_helpers import pv_config

from tests.e2e.test_disk_full import fill
from xend.errors import InvalidState, StorageError
from xend.hv.sim import SimHypervisor
from xend.hv.sim.coredump import SIM_NOTE_NAME, elf_notes
from xend.hv.sim.debugkeys import KEY_TABLE

MakeSim = Callable[..., SimHypervisor]


def _ring_after(sim: SimHypervisor, keys: str) -> list[str]:
    sim.dmesg(clear=True)
    sim.send_debug_keys(keys)
    return sim.dmesg().splitlines()


def test_h_lists_every_key_in_ascii_order(make_sim: MakeSim) -> None:
    lines = _ring_after(make_sim(), "h")
    assert lines[0] == "(XEN) 'h' pressed -> showing installed handlers"
    keys = [line.split("'")[1] for line in lines[1:]]
    assert keys == sorted(KEY_TABLE, key=ord)
    assert lines[1:3] == ["(XEN)  key '%' (ascii '25') => trap to xendbg",
                          "(XEN)  key '*' (ascii '2a') => print all "
                          "diagnostics"]


def test_q_dumps_the_domains(make_sim: MakeSim) -> None:
    sim = make_sim()
    domid = sim.create(pv_config(mem_mib=64))
    lines = _ring_after(sim, "q")
    assert lines[0].startswith("(XEN) 'q' pressed -> dumping domain info "
                               "(now = ")
    assert "(XEN) General information for domain 0:" in lines
    at = lines.index(f"(XEN) General information for domain {domid}:")
    assert lines[at + 1] == ("(XEN)     dying=0 pause_count=1 "
                             f"nr_pages={64 * 256}")


def test_keys_in_order_unknown_ones_silent(make_sim: MakeSim) -> None:
    lines = _ring_after(make_sim(), "jdAkA!")
    assert lines == ["(XEN) 'd' pressed -> dumping registers",
                     "(XEN) 'A' pressed -> using alternative key handling",
                     "(XEN) 'A' pressed -> using normal key handling"]


def test_star_fires_the_diagnostic_keys(make_sim: MakeSim) -> None:
    lines = _ring_after(make_sim(), "*")
    assert lines[0] == ("(XEN) '*' pressed -> firing all diagnostic "
                        "keyhandlers")
    assert "(XEN) [q: dump domain (and guest debug) info]" in lines
    assert "(XEN) [h: show this message]" not in lines


def test_the_ring_survives_a_restart(make_sim: MakeSim) -> None:
    sim = make_sim()
    sim.send_debug_keys("R")
    sim.close()
    assert "(XEN) 'R' pressed -> rebooting machine\n" in make_sim().dmesg()


def test_core_note_describes_the_domain(make_sim: MakeSim,
                                        tmp_path: Path) -> None:
    sim = make_sim()
    config = pv_config("dumped", mem_mib=128, vcpus=2)
    domid = sim.create(config)
    sim.unpause(domid)        # booted: its memory map is set up
    sim.core_dump(domid, str(tmp_path / "c"))
    notes = elf_notes((tmp_path / "c").read_bytes())
    about = json.loads(next(d for o, _, d in notes if o == SIM_NOTE_NAME))
    assert about["simulated"] is True
    assert (about["name"], about["domid"], about["uuid"]) == \
        ("dumped", domid, config["c_info"]["uuid"])
    assert (about["vcpus"], about["memory_kb"], about["pages_included"]) == \
        (2, 128 * 1024, 0)


def test_core_dump_never_follows_a_symlink(make_sim: MakeSim,
                                           tmp_path: Path) -> None:
    sim = make_sim()
    domid = sim.create(pv_config())
    sim.unpause(domid)        # booted: its memory map is set up
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "link").symlink_to(victim)
    with pytest.raises(StorageError, match="symbolic link"):
        sim.core_dump(domid, str(tmp_path / "link"))
    assert victim.read_text() == "precious"


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                          str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {res.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def test_full_disk_is_a_clear_error_before_writing(make_sim: MakeSim,
                                                   tiny_fs: Path) -> None:
    sim = make_sim()
    domid = sim.create(pv_config())
    sim.unpause(domid)        # booted: its memory map is set up
    fill(tiny_fs)
    with pytest.raises(StorageError, match="not enough disk space"):
        sim.core_dump(domid, str(tiny_fs / "g.core"))
    assert sorted(p.name for p in tiny_fs.iterdir()) == ["filler"]


def test_notes_are_read_from_sections_too() -> None:
    """xc_domain_dumpcore writes no program headers, only a .note.Xen
    section: elf_notes (used on libxl's dumps in the lab) reads both."""
    import struct

    from xend.hv.sim.coredump import XC_CORE_MAGIC_HVM, core_image
    data = bytearray(core_image(name="h", domid=1, uuid="u",
                                domain_type="hvm", vcpus=3, memory_kb=4,
                                dumped_at=0.0))
    struct.pack_into("<H", data, 56, 0)             # e_phnum = 0
    notes = elf_notes(bytes(data))
    assert [(o, t) for o, t, _ in notes][:3] == [
        ("Xen", 0x2000000), ("Xen", 0x2000001), ("Xen", 0x2000003)]
    assert struct.unpack_from("<QQ", notes[1][2]) == (XC_CORE_MAGIC_HVM, 3)
    with pytest.raises(ValueError):
        elf_notes(b"not an elf file at all, no")


def test_only_a_pv_domain_that_ran_or_was_restored_can_be_dumped(
        make_sim: MakeSim, tmp_path: Path) -> None:
    """A PV kernel sets up the memory map a dump walks (libxc fails on a
    domain that never ran); a restored domain brings its map along, so it
    can be dumped while still paused; a restart of the simulator keeps
    what it knew, also from a state file older than the flag."""
    sim = make_sim()
    fresh = sim.create(pv_config("fresh"))
    booted = sim.create(pv_config("booted"))
    sim.unpause(booted)
    sim.pause(booted)
    stream = io.BytesIO()
    sim.save(booted, stream)
    sim.destroy(booted)
    restored = sim.restore(pv_config("booted"), io.BytesIO(stream.getvalue()))
    assert sim.domain_info(restored).paused
    sim.core_dump(restored, str(tmp_path / "restored.core"))
    with pytest.raises(InvalidState, match="never run"):
        sim.core_dump(fresh, str(tmp_path / "fresh.core"))
    assert not (tmp_path / "fresh.core").exists()
    other = sim.create(pv_config("other"))
    sim.unpause(other)
    sim.close()
    # A state file written before memory_map existed: a guest that ran
    # (booted) has its map.
    path = tmp_path / "state" / "sim" / "domains" / f"{other}.json"
    data = json.loads(path.read_text())
    del data["memory_map"]
    path.write_text(json.dumps(data))
    again = make_sim()
    again.core_dump(other, str(tmp_path / "other.core"))
    with pytest.raises(InvalidState, match="never run"):
        again.core_dump(fresh, str(tmp_path / "fresh.core"))
