"""Simulator-only: the save image format and save/restore details."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import struct
import threading
from pathlib import Path
from typing import Any

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
    # 4 KiB of pages per MiB of guest memory, not GiBs.
    assert 2048 * 4096 < len(data) < 2048 * 4096 + 64 * 1024


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


# -- version 1 images (saved before the page stream) ---------------------
def v1_image(runtime: dict[str, Any], config: dict[str, Any]) -> bytes:
    """An image as the version 1 writer made it (its logic, literally)."""
    record = json.dumps({"runtime": runtime, "config": config},
                        sort_keys=True).encode()
    memory = bytearray()
    counter = 0
    while len(memory) < 64 * 1024:
        memory += hashlib.sha256(runtime["uuid"].encode()
                                 + counter.to_bytes(8, "big")).digest()
        counter += 1
    body = (b"SimXenImage v1\n" + struct.pack(">Q", len(record)) + record
            + struct.pack(">Q", 64 * 1024) + bytes(memory[:64 * 1024]))
    return body + hashlib.sha256(body).digest() + b"SimXenImageEnd\n"


def test_version_1_image_still_restores(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config("old", mem_mib=256, maxmem_mib=512,
                                 vcpus=2))
    config = sim.domain_config(domid)
    uuid = config["c_info"]["uuid"]
    sim.destroy(domid)
    runtime = {"uuid": uuid, "name": "old", "domain_type": "pv",
               "vcpu_time_ns": [5, 6], "online": [0],
               "affinity": [[1], [0, 1]], "weight": 512, "cap": 0,
               "target_kb": 300 * 1024, "live": False,
               "saved_at": 1_700_000_000.0}
    image = v1_image(runtime, config)
    stream = io.BytesIO(image + b"NEXT")
    new = sim.restore(config, stream)
    assert stream.read() == b"NEXT"
    info = sim.domain_info(new)
    assert info.uuid == uuid and info.target_memkb == 300 * 1024
    assert info.vcpu_online == 1 and sim.sched_get(new).weight == 512
    assert [v.affinity for v in sim.list_vcpus(new)] == [(1,), (0, 1)]
    sim.destroy(new)
    damaged = bytearray(image)
    damaged[len(image) // 2] ^= 1
    with pytest.raises(HypervisorError, match="restore failed"):
        sim.restore(config, io.BytesIO(bytes(damaged)))
    with pytest.raises(HypervisorError, match="restore failed: .*truncated"):
        sim.restore(config, io.BytesIO(image[:-1]))


# -- damage ----------------------------------------------------------------
@pytest.mark.parametrize("live", [False, True])
def test_truncation_anywhere_is_refused(sim: SimHypervisor,
                                        live: bool) -> None:
    domid = sim.create(pv_config(mem_mib=64))
    sim.unpause(domid)
    stream = io.BytesIO()
    sim.save(domid, stream, live=live)
    data = stream.getvalue()
    sizes = {len(saveimage.MAGIC) + 8, len(data) - len(saveimage.END),
             len(data) - len(saveimage.END) - 64, len(data) - 1}
    cuts = sorted(set(range(0, 300)) | set(range(len(data) - 300, len(data)))
                  | set(range(0, len(data), 997)) | sizes)
    for cut in cuts:
        with pytest.raises(HypervisorError, match="restore failed"):
            saveimage.read_image(io.BytesIO(data[:cut]))
    before = len(sim.list_domains())
    config = sim.domain_config(domid)
    sim.destroy(domid)
    for cut in (10, len(data) // 2, len(data) - 1):
        with pytest.raises(HypervisorError, match="restore failed"):
            sim.restore(config, io.BytesIO(data[:cut]))
    assert len(sim.list_domains()) == before - 1
    sim.restore(config, io.BytesIO(data))


def test_flipped_bytes_anywhere_are_refused(sim: SimHypervisor) -> None:
    """Record, page batch headers, page indices, page data, the checksums
    and the trailer."""
    domid = sim.create(pv_config(mem_mib=64))
    sim.unpause(domid)
    stream = io.BytesIO()
    sim.save(domid, stream, live=True)
    data = stream.getvalue()
    (record_len,) = struct.unpack_from(">Q", data, len(saveimage.MAGIC))
    memory_head = len(saveimage.MAGIC) + 8 + record_len
    batch = memory_head + 12
    assert struct.unpack_from(">QIII", data, memory_head) == (64, 4096, 0, 64)
    offsets = [0, len(saveimage.MAGIC) + 3, len(saveimage.MAGIC) + 20,
               memory_head + 7, memory_head + 10, batch + 3, batch + 7,
               batch + 8 + 5, batch + 8 + 64 * 4 + 5000, len(data) // 2,
               len(data) - 100, len(data) - 50, len(data) - 3]
    for offset in offsets:
        damaged = bytearray(data)
        damaged[offset] ^= 0x10
        with pytest.raises(HypervisorError, match="restore failed"):
            saveimage.read_image(io.BytesIO(bytes(damaged)))


def _v2_head(pages: int, page_size: int = 4096) -> bytes:
    record = b'{"config": {}, "runtime": {}}'
    return (saveimage.MAGIC + struct.pack(">Q", len(record)) + record
            + struct.pack(">QI", pages, page_size))


@pytest.mark.parametrize("data, message", [
    (saveimage.MAGIC + struct.pack(">Q", 1 << 60), "damaged image header"),
    (_v2_head(1 << 40), "damaged memory header"),
    (_v2_head(0), "damaged memory header"),
    (_v2_head(16, 512), "damaged memory header"),
    (_v2_head(16) + struct.pack(">II", 0, 1 << 30), "damaged page batch"),
    (_v2_head(16) + struct.pack(">II", 1 << 31, 1), "damaged page batch"),
    (_v2_head(16) + struct.pack(">II", 0, 1) + struct.pack(">I", 16),
     "damaged page batch"),
    (_v2_head(16) + struct.pack(">II", 2, 1) + struct.pack(">I", 0)
     + bytes(4096) + struct.pack(">II", 1, 1), "damaged page batch"),
    (_v2_head(2) + struct.pack(">II", 0, 1) + struct.pack(">I", 0)
     + bytes(4096) + struct.pack(">II", 0, 0) + bytes(64)
     + saveimage.END, "memory incomplete"),
])
def test_absurd_or_inconsistent_fields_are_refused(data: bytes,
                                                   message: str) -> None:
    with pytest.raises(HypervisorError, match=f"restore failed: .*{message}"):
        saveimage.read_image(io.BytesIO(data))


# -- what a migration needs: exactly the image, from a socket --------------
@pytest.mark.parametrize("live", [False, True])
def test_image_over_a_socket_leaves_what_follows(sim: SimHypervisor,
                                                 live: bool) -> None:
    domid = sim.create(pv_config(mem_mib=128))
    sim.unpause(domid)
    config = sim.domain_config(domid)
    sender, receiver = socket.socketpair()
    with sender, receiver:
        def save() -> None:
            with sender.makefile("wb") as out:
                sim.save(domid, out, live=live)
                out.write(b"PROTOCOL GOES ON\n")

        thread = threading.Thread(target=save)
        thread.start()
        with receiver.makefile("rb") as incoming:
            runtime, _config = saveimage.read_image(incoming)
            assert incoming.readline() == b"PROTOCOL GOES ON\n"
        thread.join(10)
    assert runtime["uuid"] == config["c_info"]["uuid"]
    assert runtime["live"] is live


def test_image_size_follows_memory(sim: SimHypervisor) -> None:
    sizes = {}
    for mem in (32, 128, 512):
        domid = sim.create(pv_config(mem_mib=mem))
        sizes[mem] = len(saved(sim, domid))
        sim.destroy(domid)
    for mem, size in sizes.items():
        assert mem * 4096 < size < mem * 4096 + 16 * 1024, mem
    assert sizes[512] - sizes[128] == (512 - 128) * (4096 + 4) + 6 * 8
