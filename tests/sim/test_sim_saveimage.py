"""Simulator-only: the save image format and save/restore details."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sim_helpers import MakeSim, FakeClock, pv_config

from xend.errors import DomainExists, HypervisorError, InvalidState
from xend.hv.sim import SimHypervisor, saveimage


@pytest.fixture
def sim(make_sim: MakeSim, clock: FakeClock) -> SimHypervisor:
    return make_sim(clock=clock)


def saved(sim: SimHypervisor, domid: int) -> bytes:
    stream = io.BytesIO()
    sim.save(domid, stream)
    return stream.getvalue()


def test_image_layout_and_size(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config(mem_mib=2048))
    data = saved(sim, domid)
    assert data.startswith(saveimage.MAGIC)
    assert data.endswith(saveimage.END)
    # A fixed stand-in for guest memory, not GiBs.
    assert len(data) < saveimage.MEMORY_BLOCK + 64 * 1024


def test_reader_stops_at_the_end_of_the_image(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config())
    stream = io.BytesIO(b"HEADER" + saved(sim, domid) + b"TRAILER")
    stream.seek(6)
    runtime, config = saveimage.read_image(stream)
    assert stream.read() == b"TRAILER"
    assert runtime["uuid"] == config["c_info"]["uuid"]


def test_not_an_image(sim: SimHypervisor) -> None:
    with pytest.raises(HypervisorError, match="restore failed: .*magic"):
        sim.restore(pv_config(), io.BytesIO(b"Xen saved domain, xl format"))


def test_flipped_byte_is_refused(sim: SimHypervisor) -> None:
    """The simulator's image carries a checksum (Xen's stream does not, so
    this is not part of the contract)."""
    domid = sim.create(pv_config())
    config = sim.domain_config(domid)
    data = bytearray(saved(sim, domid))
    sim.destroy(domid)
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(HypervisorError, match="restore failed"):
        sim.restore(config, io.BytesIO(bytes(data)))


def test_restore_keeps_memory_and_restarts_cpu_time(sim: SimHypervisor,
                                                    clock: FakeClock) -> None:
    domid = sim.create(pv_config(mem_mib=256, maxmem_mib=512))
    sim.unpause(domid)
    sim.set_memory_target(domid, 384 * 1024)
    clock.advance(100)
    cpu = sim.domain_info(domid).cpu_time_ns
    config = sim.domain_config(domid)
    data = saved(sim, domid)
    clock.advance(100)      # suspended: no cpu time
    assert sim.domain_info(domid).cpu_time_ns == cpu
    sim.destroy(domid)
    new = sim.restore(config, io.BytesIO(data))
    info = sim.domain_info(new)
    assert cpu > 0 and info.cpu_time_ns == 0    # a new domain to Xen
    assert info.target_memkb == 384 * 1024
    assert info.paused
    sim.unpause(new)
    clock.advance(10)
    assert sim.domain_info(new).cpu_time_ns > 0


def test_restore_next_to_the_original_is_refused(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config("twin"))
    config = sim.domain_config(domid)
    data = saved(sim, domid)
    with pytest.raises(DomainExists):
        sim.restore(config, io.BytesIO(data))


def test_migration_style_restore_with_new_name(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config("mover"))
    config = sim.domain_config(domid)
    data = saved(sim, domid)
    sim.rename(domid, "mover--migratedaway")
    config["c_info"]["name"] = "mover--incoming"
    config["c_info"]["uuid"] = "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab"
    new = sim.restore(config, io.BytesIO(data))
    assert sim.domain_info(new).name == "mover--incoming"


def test_save_refuses_dead_or_dom0(sim: SimHypervisor,
                                   tmp_path: Path) -> None:
    domid = sim.create(pv_config())
    sim.unpause(domid)
    sim.inject_crash(domid)
    with pytest.raises(InvalidState):
        saved(sim, domid)
    from xend.errors import InvalidArgument
    with pytest.raises(InvalidArgument):
        saved(sim, 0)


def test_failed_write_leaves_domain_suspended(sim: SimHypervisor) -> None:
    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data) -> int:  # type: ignore[no-untyped-def,override]
            raise OSError(28, "No space left on device")

    domid = sim.create(pv_config())
    sim.unpause(domid)
    with pytest.raises(HypervisorError, match="save failed"):
        sim.save(domid, Full())     # type: ignore[arg-type]
    assert sim.domain_info(domid).shutdown_reason == "suspend"
    sim.resume(domid)
    assert sim.domain_info(domid).state_string == "-b----"
