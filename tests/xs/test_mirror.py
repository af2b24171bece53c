"""The mirror of xend's keys, against the in-memory store and the simulator
(which writes libxl's keys): values, one transaction per change, and never
a key libxl writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator

import pytest
from xs_helpers import RecordingStore, domain_config, libxl_config

from tests.bootfiles import KERNEL

from xenstore.memory import MemoryStore
from xend.domains.table import DomainEntry
from xend.hv.sim import SimHypervisor
from xend.xs.mirror import XenstoreMirror, vm_values

# Keys libxl 4.17 writes itself (libxl_create.c, libxl_dom.c, libxl_mem.c,
# libxl_console.c): the mirror must never write one of them.
LIBXL_VM_KEYS = ("uuid", "name", "start_time", "memory", "image/ostype",
                 "image/kernel", "image/cmdline", "rtc/timeoffset")
LIBXL_DOMAIN_KEYS = ("name", "domid", "vm", "memory/target",
                     "memory/static-max", "memory/videoram", "console/limit",
                     "console/type", "control/shutdown", "store/port")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def recorder(store: MemoryStore) -> RecordingStore:
    return RecordingStore(store)


@pytest.fixture
def libxl_writes(store: MemoryStore) -> RecordingStore:
    """What the simulator (as libxl) writes, recorded."""
    return RecordingStore(store)


@pytest.fixture
def sim(tmp_path: Path, libxl_writes: RecordingStore
        ) -> Iterator[SimHypervisor]:
    hv = SimHypervisor(state_dir=str(tmp_path / "state"),
                       store=libxl_writes, guest_shutdown_delay=0.05)
    yield hv
    hv.close()


def started(sim: SimHypervisor, **changes: object) -> DomainEntry:
    cfg = domain_config(**changes)      # type: ignore[arg-type]
    domid = sim.create(libxl_config(cfg))
    sim.unpause(domid)
    return DomainEntry(config=cfg, domid=domid)


def test_keys_and_values(sim: SimHypervisor, store: MemoryStore,
                         recorder: RecordingStore) -> None:
    entry = started(sim)
    XenstoreMirror(recorder).domain_changed(entry)
    vm = f"/vm/{entry.uuid}"
    assert store.read(f"{vm}/vcpus") == "4"
    assert store.read(f"{vm}/vcpu_avail") == "3"        # vcpus 0 and 1
    assert store.read(f"{vm}/maxmem") == "512"
    assert store.read(f"{vm}/shadow_memory") == "2"
    assert store.read(f"{vm}/on_poweroff") == "destroy"
    assert store.read(f"{vm}/on_reboot") == "restart"
    assert store.read(f"{vm}/on_crash") == "preserve"
    assert store.read(f"{vm}/on_xend_start") == "ignore"
    assert store.read(f"{vm}/on_xend_stop") == "ignore"
    assert store.read(f"{vm}/bootloader") == ""
    assert store.read(f"{vm}/bootloader_args") == ""
    assert store.read(f"{vm}/pool_name") == "Pool-0"
    assert store.read(f"{vm}/xend/restart_count") == "0"
    image = store.read(f"{vm}/image")
    assert image is not None and image.startswith(
        f"(linux (kernel {KERNEL})")
    assert "console=hvc0" in image
    # libxl's image/* children are still there, untouched.
    assert store.read(f"{vm}/image/ostype") == "linux"
    home = f"/local/domain/{entry.domid}"
    assert store.read(f"{home}/description") == "a web server"
    # libxl's values are left as libxl wrote them.
    assert store.read(f"{vm}/name") == "web1"
    assert store.read(f"{home}/console/limit") == "1048576"
    assert store.read(f"{vm}/memory") is None   # libxl writes it at mem-set


def test_one_transaction_per_change_each_key_once(
        sim: SimHypervisor, recorder: RecordingStore) -> None:
    entry = started(sim)
    mirror = XenstoreMirror(recorder)
    mirror.domain_changed(entry)
    assert recorder.direct == []
    assert len(recorder.transactions) == 1
    first = recorder.transactions[0]
    assert len(first) == len(set(first)) == len(vm_values(entry)) + 1
    recorder.reset()
    mirror.domain_changed(entry)        # nothing changed: nothing written
    assert recorder.transactions == [[]]
    recorder.reset()
    entry.config = dataclasses.replace(entry.config, vcpus=1,
                                       on_poweroff="restart")
    entry.restart_count = 2
    mirror.domain_changed(entry)
    vm = f"/vm/{entry.uuid}"
    assert recorder.direct == []
    assert sorted(recorder.transactions[0]) == sorted([
        f"{vm}/vcpu_avail", f"{vm}/on_poweroff", f"{vm}/xend/restart_count"])


def test_never_writes_a_libxl_key(sim: SimHypervisor, store: MemoryStore,
                                  recorder: RecordingStore,
                                  libxl_writes: RecordingStore) -> None:
    mirror = XenstoreMirror(recorder)
    entry = started(sim)
    mirror.domain_changed(entry)
    domid = entry.domid
    assert domid is not None
    # Everything xm can change, through the sim (libxl) then the mirror.
    sim.set_memory_target(domid, 300 * 1024)
    entry.config = dataclasses.replace(entry.config, memory=300)
    mirror.domain_changed(entry)
    sim.set_vcpus_online(domid, 1)
    entry.config = dataclasses.replace(entry.config, vcpus=1)
    mirror.domain_changed(entry)
    sim.rename(domid, "web2")
    entry.config = dataclasses.replace(entry.config, name="web2")
    mirror.domain_changed(entry)
    ours = recorder.written()
    assert ours, "the mirror wrote nothing"
    assert not ours & libxl_writes.written()
    vm, home = f"/vm/{entry.uuid}", f"/local/domain/{domid}"
    for key in LIBXL_VM_KEYS:
        assert f"{vm}/{key}" not in ours
    for key in LIBXL_DOMAIN_KEYS:
        assert f"{home}/{key}" not in ours
    # and every path it writes is one of the toolstack's
    allowed = {f"{vm}/{k}" for k in vm_values(entry)} | {
        f"{home}/description"}
    assert ours <= allowed
    assert store.read(f"{vm}/memory") == "300"      # libxl's, from mem-set


def test_gone_domain_gets_nothing(sim: SimHypervisor, store: MemoryStore,
                                  recorder: RecordingStore) -> None:
    entry = started(sim)
    assert entry.domid is not None
    sim.destroy(entry.domid)
    XenstoreMirror(recorder).domain_changed(entry)
    assert recorder.written() == set()
    assert store.list("/vm") == ["00000000-0000-0000-0000-000000000000"]


def test_stopped_entry_is_a_no_op(recorder: RecordingStore) -> None:
    entry = DomainEntry(config=domain_config())
    XenstoreMirror(recorder).domain_changed(entry)
    assert recorder.transactions == [] and recorder.direct == []


def test_rebuild_writes_every_running_domain(
        sim: SimHypervisor, store: MemoryStore,
        recorder: RecordingStore) -> None:
    one, two = started(sim, name="a"), started(sim, name="b")
    halted = DomainEntry(config=domain_config("c"), managed=True)
    XenstoreMirror(recorder).rebuild([one, two, halted])
    assert len(recorder.transactions) == 2
    for entry in (one, two):
        assert store.read(f"/vm/{entry.uuid}/maxmem") == "512"
    assert store.read(f"/vm/{halted.uuid}/maxmem") is None


def test_vm_path_is_the_one_libxl_wrote(sim: SimHypervisor,
                                        store: MemoryStore,
                                        recorder: RecordingStore) -> None:
    """A preserved domain (rename-restart) keeps its old /vm path."""
    entry = started(sim)
    old_vm = store.read(f"/local/domain/{entry.domid}/vm")
    entry.config = dataclasses.replace(entry.config,
                                       uuid="6a0f2c1e-0000-4000-8000-"
                                            "000000000001")
    XenstoreMirror(recorder).domain_changed(entry)
    assert store.read(f"{old_vm}/maxmem") == "512"
    assert store.read(f"/vm/{entry.uuid}") is None
