"""Simulator-only: the Xenstore keys it writes, as libxl would.

Runs against the project's in-memory xenstored (``xenstore.memory``) when
it is importable, and always against the tiny dict store of these tests.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from sim_helpers import MakeSim, FakeClock, hvm_config, pv_config
from sim_fakestore import FakeStore

from xend.hv.sim import SimHypervisor

try:
    from xenstore.memory import MemoryStore
except ImportError:     # not written yet on this branch
    MemoryStore = None  # type: ignore[assignment,misc]

STORES: list[Callable[[], Any]] = [FakeStore]
if MemoryStore is not None:
    STORES.append(MemoryStore)


@pytest.fixture(params=STORES, ids=lambda f: f.__name__)
def store(request: pytest.FixtureRequest) -> Any:
    return request.param()


@pytest.fixture
def sim(make_sim: MakeSim, store: Any, clock: FakeClock) -> SimHypervisor:
    return make_sim(store=store, clock=clock, guest_shutdown_delay=1.0)


def read(store: Any, path: str) -> str | None:
    value: str | None = store.read(path)
    return value


DISK = {"pdev_path": "/dev/vg/a", "vdev": "xvda", "format": "raw",
        "readwrite": 1}


def test_dom0_keys(sim: SimHypervisor, store: Any) -> None:
    assert read(store, "/local/domain/0/name") == "Domain-0"
    assert read(store, "/local/domain/0/domid") == "0"
    assert read(store, "/local/domain/0/memory/target") == str(1024 * 1024)


def test_keys_written_at_create(sim: SimHypervisor, store: Any) -> None:
    config = pv_config("xs1", mem_mib=256, maxmem_mib=512, vcpus=1,
                       maxvcpus=2, disks=[DISK], nics=[{}])
    domid = sim.create(config)
    uuid = config["c_info"]["uuid"]
    dom = f"/local/domain/{domid}"
    assert read(store, f"{dom}/name") == "xs1"
    assert read(store, f"{dom}/domid") == str(domid)
    assert read(store, f"{dom}/vm") == f"/vm/{uuid}"
    assert read(store, f"{dom}/memory/static-max") == str(512 * 1024)
    assert read(store, f"{dom}/memory/target") == str(256 * 1024)
    assert read(store, f"{dom}/cpu/0/availability") == "online"
    assert read(store, f"{dom}/cpu/1/availability") == "offline"
    assert read(store, f"{dom}/control/shutdown") == ""
    assert read(store,
                f"{dom}/control/platform-feature-xs_reset_watches") == "1"
    assert read(store, f"{dom}/console/type") == "xenconsoled"
    console_back = read(store, f"{dom}/console/backend")
    assert read(store, f"{console_back}/frontend") == f"{dom}/console"
    assert read(store, f"/vm/{uuid}/uuid") == uuid
    assert read(store, f"/vm/{uuid}/name") == "xs1"
    assert read(store, f"/vm/{uuid}/image/ostype") == "linux"
    assert read(store, f"/vm/{uuid}/image/kernel") == \
        config["b_info"]["kernel"]
    start = read(store, f"/vm/{uuid}/start_time")
    assert start is not None and start.count(".") == 1
    assert read(store, f"/libxl/{domid}/type") == "pv"
    # Permissions: dom0 owns the domain's dir, the guest owns control.
    assert store.get_perms(dom) == ["n0", f"r{domid}"]
    assert store.get_perms(f"{dom}/control") == ["n0", f"r{domid}"]
    assert store.get_perms(f"{dom}/control/shutdown") == [f"n{domid}"]
    assert store.get_perms(f"{dom}/data") == [f"n{domid}"]
    assert read(store, f"{dom}/control/feature-poweroff") == ""
    assert store.get_perms(f"/libxl/{domid}") == ["n0"]
    # Devices: frontend owned by the guest, backend by dom0.
    front = f"{dom}/device/vbd/51712"
    back = f"/local/domain/0/backend/vbd/{domid}/51712"
    assert read(store, f"{front}/backend") == back
    assert read(store, f"{back}/frontend") == front
    assert read(store, f"{back}/params") == "/dev/vg/a"
    assert read(store, f"{back}/mode") == "w"
    assert store.get_perms(front) == [f"n{domid}", "r0"]
    assert store.get_perms(back) == ["n0", f"r{domid}"]
    assert read(store, f"{front}/state") == "1"
    vif = f"{dom}/device/vif/0"
    assert str(read(store, f"{vif}/mac")).startswith("00:16:3e:")
    assert read(store, f"/libxl/{domid}/device/vbd/51712/backend") == back


def test_hvm_keys(sim: SimHypervisor, store: Any) -> None:
    config = hvm_config(mem_mib=256, vcpus=2)
    domid = sim.create(config)
    uuid = config["c_info"]["uuid"]
    dom = f"/local/domain/{domid}"
    assert read(store, f"/vm/{uuid}/image/ostype") == "hvm"
    assert read(store, f"/libxl/{domid}/type") == "hvm"
    assert read(store, f"{dom}/platform/device-model") == "qemu_xen"
    assert read(store, f"{dom}/cpu/1/availability") == "online"
    # The (cirrus) video RAM is not part of the balloon target.
    assert read(store, f"{dom}/memory/videoram") == str(8 * 1024)
    assert read(store, f"{dom}/memory/target") == str(248 * 1024)
    assert store.get_perms(f"{dom}/control/feature-s3") == [f"n{domid}"]
    # vcpu hot-plug of an HVM guest goes through QMP, not Xenstore.
    sim.set_vcpus_online(domid, 1)
    assert read(store, f"{dom}/cpu/1/availability") == "online"


def test_pvh_keys(sim: SimHypervisor, store: Any) -> None:
    config = pv_config(vcpus=2)
    config["c_info"]["type"] = "pvh"
    config["b_info"]["type.pvh"] = config["b_info"].pop("type.pv")
    domid = sim.create(config)
    uuid = config["c_info"]["uuid"]
    assert read(store, f"/vm/{uuid}/image/ostype") is None
    assert read(store, f"/vm/{uuid}/start_time") is not None
    sim.set_vcpus_online(domid, 1)
    assert read(store, f"/local/domain/{domid}/cpu/1/availability") == \
        "offline"


def test_guest_boot_connects_devices(sim: SimHypervisor, store: Any) -> None:
    domid = sim.create(pv_config(disks=[DISK], nics=[{}]))
    dom = f"/local/domain/{domid}"
    assert read(store, f"{dom}/control/feature-poweroff") == ""
    sim.unpause(domid)
    assert read(store, f"{dom}/control/feature-poweroff") == "1"
    assert read(store, f"{dom}/device/vbd/51712/state") == "4"
    assert read(store, f"{dom}/device/vbd/51712/ring-ref") is not None
    back = f"/local/domain/0/backend/vif/{domid}/0"
    assert read(store, f"{back}/state") == "4"
    assert read(store, f"{back}/hotplug-status") == "connected"


def test_live_updates(sim: SimHypervisor, store: Any) -> None:
    config = pv_config(mem_mib=256, maxmem_mib=512, vcpus=1, maxvcpus=2)
    domid = sim.create(config)
    sim.unpause(domid)
    dom = f"/local/domain/{domid}"
    sim.set_memory_target(domid, 300 * 1024)
    assert read(store, f"{dom}/memory/target") == str(300 * 1024)
    assert read(store, f"/vm/{config['c_info']['uuid']}/memory") == "300"
    sim.set_vcpus_online(domid, 2)
    assert read(store, f"{dom}/cpu/1/availability") == "online"
    sim.rename(domid, "renamed")
    assert read(store, f"{dom}/name") == "renamed"
    assert read(store, f"/vm/{config['c_info']['uuid']}/name") == "renamed"
    sim.send_sysrq(domid, "s")
    assert read(store, f"{dom}/control/sysrq") == "s"
    path = sim.console_path(domid)
    assert read(store, f"{dom}/console/tty") == path


def test_shutdown_request_and_ack(sim: SimHypervisor, store: Any,
                                  clock: FakeClock) -> None:
    domid = sim.create(pv_config())
    sim.shutdown(domid)
    dom = f"/local/domain/{domid}"
    # Not acknowledged while the guest has not run.
    assert read(store, f"{dom}/control/shutdown") == "poweroff"
    sim.unpause(domid)
    assert read(store, f"{dom}/control/shutdown") == ""


def test_hotplug_keys(sim: SimHypervisor, store: Any) -> None:
    domid = sim.create(pv_config())
    sim.unpause(domid)
    sim.device_add(domid, "disk", {"pdev_path": "/srv/b.img",
                                   "vdev": "xvdb"})
    front = f"/local/domain/{domid}/device/vbd/51728"
    back = f"/local/domain/0/backend/vbd/{domid}/51728"
    assert read(store, f"{front}/state") == "4"
    assert read(store, f"{back}/type") == "qdisk"
    assert read(store, f"{back}/mode") == "r"
    sim.device_remove(domid, "disk", {"vdev": "xvdb"})
    assert not store.exists(front) and not store.exists(back)
    assert not store.exists(f"/libxl/{domid}/device/vbd/51728")


def test_destroy_removes_everything(sim: SimHypervisor, store: Any) -> None:
    config = pv_config(disks=[DISK], nics=[{}])
    domid = sim.create(config)
    uuid = config["c_info"]["uuid"]
    sim.destroy(domid)
    for path in (f"/local/domain/{domid}", f"/vm/{uuid}",
                 f"/libxl/{domid}",
                 f"/local/domain/0/backend/vbd/{domid}",
                 f"/local/domain/0/backend/vif/{domid}",
                 f"/local/domain/0/backend/console/{domid}"):
        assert not store.exists(path), path
    assert store.exists("/local/domain/0/name")


def test_introduce_and_release_watches(sim: SimHypervisor,
                                       store: Any) -> None:
    fired: list[str] = []
    store.watch("@introduceDomain", "i", lambda e: fired.append("intro"))
    store.watch("@releaseDomain", "r", lambda e: fired.append("release"))
    fired.clear()       # a watch fires once when set
    domid = sim.create(pv_config())
    assert fired == ["intro"]
    sim.destroy(domid)
    assert fired == ["intro", "release"]


def test_multi_key_updates_use_transactions(make_sim: MakeSim,
                                           clock: FakeClock) -> None:
    store = FakeStore()
    sim = make_sim(store=store, clock=clock)
    before = store.transactions
    domid = sim.create(pv_config())
    assert store.transactions == before + 1
    sim.set_memory_target(domid, 100 * 1024)
    assert store.transactions == before + 2


def test_mirror_rebuilt_for_a_fresh_store(make_sim: MakeSim,
                                          clock: FakeClock) -> None:
    first = make_sim(store=FakeStore(), clock=clock)
    domid = first.create(pv_config("mirrored", disks=[DISK]))
    first.unpause(domid)
    first.close()
    fresh = FakeStore()
    make_sim(store=fresh, clock=clock)
    assert fresh.read(f"/local/domain/{domid}/name") == "mirrored"
    assert fresh.read(f"/local/domain/{domid}/device/vbd/51712/state") == "4"


def test_store_failure_on_create_leaves_nothing(make_sim: MakeSim,
                                                clock: FakeClock) -> None:
    class Broken(FakeStore):
        def introduce_domain(self, domid: int, mfn: int, port: int) -> None:
            raise OSError("xenstored went away")

    store = Broken()
    sim = make_sim(store=store, clock=clock)
    from xend.errors import HypervisorError
    with pytest.raises(HypervisorError, match="Xenstore"):
        sim.create(pv_config())
    assert [d.domid for d in sim.list_domains()] == [0]
    assert store.list("/local/domain") == ["0"]
