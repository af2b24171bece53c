"""LibxlHypervisor's own logic, with a fake Libxl injected (no Xen).

What libxl does is not simulated here; these tests pin down what the
backend adds: the interface, the PV-less shutdown fallback, argument
checks, resume/re-arm, fd positioning for save/restore, and event
delivery through the pump.
"""

from __future__ import annotations

import inspect
import os
import queue
import select
import threading
from pathlib import Path
from typing import Any

import pytest

from bindings.errors import error_for
from bindings.events import LibxlEvent
from xend import errors as xe
from xend.hv.base import CpuTopology, DomainEvent, Hypervisor, NumaNode
from xend.hv.libxl import LibxlHypervisor
from test_libxl_stream import image as libxl_image

from tests.bootfiles import KERNEL


class FakeLibxl:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail: dict[str, BaseException] = {}
        self.dominfo: dict[int, dict[str, Any]] = {
            5: {"domid": 5, "vcpu_max_id": 3, "running": True}}
        self.sched = ("credit2", 256, 0)
        self.events: queue.Queue[LibxlEvent] = queue.Queue()
        self.closed = False
        self.topology: list[dict[str, Any]] = []
        self.numa: list[dict[str, Any]] = []

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def shutdown(self, domid: int) -> None:
        self._call("shutdown", domid)

    def reboot(self, domid: int) -> None:
        self._call("reboot", domid)

    def send_trigger(self, domid: int, trigger: str, vcpu: int) -> None:
        self._call("send_trigger", domid, trigger, vcpu)

    def domain_info(self, domid: int) -> dict[str, Any]:
        if domid not in self.dominfo:
            raise error_for(-21, "libxl_domain_info", domid)
        return self.dominfo[domid]

    def list_domains(self) -> list[dict[str, Any]]:
        return [{"domid": 0}, *self.dominfo.values()]

    def memory_target(self, domid: int) -> int:
        return 1024

    def domid_to_name(self, domid: int) -> str:
        return f"dom{domid}"

    def start_time(self, domid: int) -> int:
        return 1700000000

    def resume(self, domid: int, suspend_cancel: bool = True) -> None:
        self._call("resume", domid, suspend_cancel)

    def set_vcpus_online(self, domid: int, online: list[int],
                         nbits: int) -> None:
        self._call("set_vcpus_online", domid, online, nbits)

    def sched_params(self, domid: int) -> tuple[str, int, int]:
        return self.sched

    def set_sched_params(self, domid: int, weight: Any, cap: Any) -> None:
        self._call("set_sched_params", domid, weight, cap)

    def has_feature(self, name: str) -> bool:
        return False

    def suspend(self, domid: int, fd: int, live: bool = False) -> None:
        self._call("suspend", domid, live)
        os.write(fd, b"LibxlFmt-stream")

    def restore(self, config: dict[str, Any], fd: int) -> int:
        self._call("restore", os.lseek(fd, 0, os.SEEK_CUR), os.read(fd, 100))
        return 8

    def create(self, config: dict[str, Any]) -> int:
        self._call("create")
        return 7

    need: int | None = 1000
    free = 4000

    def need_memory(self, config: dict[str, Any]) -> int:
        if self.need is None:
            raise error_for(-6, "libxl_domain_need_memory")
        return self.need

    def free_memory(self) -> int:
        return self.free

    names: dict[str, int] = {}

    def name_to_domid(self, name: str) -> int | None:
        return self.names.get(name)

    def rename(self, domid: int, new_name: str) -> None:
        self._call("rename", domid, new_name)

    def enable_domain_death(self, domid: int, user: int) -> str:
        self._call("enable", domid)
        return f"evgen-{domid}"

    def disable_domain_death(self, evgen: str) -> None:
        self._call("disable", evgen)

    def wait_event(self, wake_fd: int) -> LibxlEvent | None:
        while True:
            try:
                return self.events.get_nowait()
            except queue.Empty:
                pass
            if select.select([wake_fd], [], [], 0.01)[0]:
                return None

    def close(self) -> None:
        self.closed = True

    # None: physinfo fails, so a failed create cannot be diagnosed further.
    host: dict[str, Any] | None = None

    def physinfo(self) -> dict[str, Any]:
        if self.host is None:
            raise error_for(-3, "libxl_get_physinfo")
        return self.host

    def domain_exists(self, domid: int) -> bool:
        return domid == 0 or domid in self.dominfo

    def destroy(self, domid: int) -> None:
        self._call("destroy", domid)

    def pause(self, domid: int) -> None:
        self._call("pause", domid)

    def send_debug_keys(self, keys: str) -> None:
        self._call("send_debug_keys", keys)

    def cpu_topology(self) -> list[dict[str, Any]]:
        return self.topology

    def numa_info(self) -> list[dict[str, Any]]:
        return self.numa

    def core_dump(self, domid: int, filename: str) -> None:
        self._call("core_dump", domid, filename)
        Path(filename).write_bytes(b"\x7fELF")


@pytest.fixture
def fake() -> FakeLibxl:
    return FakeLibxl()


@pytest.fixture
def hv(fake: FakeLibxl) -> LibxlHypervisor:
    return LibxlHypervisor(libxl=fake)  # type: ignore[arg-type]


def test_implements_the_hypervisor_interface_exactly() -> None:
    hv = LibxlHypervisor()            # does no work: nothing is loaded
    assert isinstance(hv, Hypervisor)
    assert hv.kind == "libxl"
    for name, member in inspect.getmembers(Hypervisor, inspect.isfunction):
        if name.startswith("_"):
            continue
        ours = inspect.signature(getattr(LibxlHypervisor, name))
        assert list(ours.parameters) == \
            list(inspect.signature(member).parameters), name
        for p, q in zip(ours.parameters.values(),
                        inspect.signature(member).parameters.values()):
            assert p.default == q.default, (name, p.name)


@pytest.mark.parametrize("reboot,trigger", [(False, "power"),
                                            (True, "reset")])
def test_shutdown_without_pv_drivers_falls_back_to_trigger(
        hv: LibxlHypervisor, fake: FakeLibxl, reboot: bool,
        trigger: str) -> None:
    op = "reboot" if reboot else "shutdown"
    fake.fail[op] = error_for(-10, f"libxl_domain_{op}", 5)
    hv.shutdown(5, reboot=reboot)
    assert fake.calls == [(op, 5), ("send_trigger", 5, trigger, 0)]


def test_other_shutdown_errors_propagate(hv: LibxlHypervisor,
                                         fake: FakeLibxl) -> None:
    fake.fail["shutdown"] = error_for(-11, "libxl_domain_shutdown", 5)
    with pytest.raises(xe.InvalidState):
        hv.shutdown(5)
    assert ("send_trigger", 5, "power", 0) not in fake.calls
    fake.fail["shutdown"] = error_for(-8, "libxl_domain_shutdown", 5)
    with pytest.raises(xe.Timeout):
        hv.shutdown(5)


def test_resume_only_a_suspended_domain(hv: LibxlHypervisor,
                                        fake: FakeLibxl) -> None:
    with pytest.raises(xe.InvalidState):
        hv.resume(5)                  # running: libxl must not see it
    assert fake.calls == []
    fake.dominfo[5].update(shutdown=True, shutdown_reason="suspend")
    hv.resume(5)
    assert fake.calls == [("resume", 5, True)]
    with pytest.raises(xe.DomainNotFound):
        hv.resume(99)


def test_set_vcpus_online(hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    hv.set_vcpus_online(5, 2)
    assert fake.calls == [("set_vcpus_online", 5, [0, 1], 4)]
    for bad in (0, 5):
        with pytest.raises(xe.InvalidArgument):
            hv.set_vcpus_online(5, bad)


def test_sched_set_checks(hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    hv.sched_set(5, weight=512)
    assert fake.calls == [("set_sched_params", 5, 512, None)]
    with pytest.raises(xe.InvalidArgument):
        hv.sched_set(5, weight=0)
    with pytest.raises(xe.InvalidArgument):
        hv.sched_set(5, cap=-1)
    fake.sched = ("rtds", -1, -1)
    with pytest.raises(xe.NotSupported):
        hv.sched_set(5, weight=1)
    assert hv.sched_get(5).scheduler == "rtds"


def test_save_keeps_the_file_object_in_step(
        hv: LibxlHypervisor, fake: FakeLibxl, tmp_path: Path) -> None:
    path = tmp_path / "img"
    with open(path, "wb") as stream:
        stream.write(b"HEADER")       # buffered, not yet on disk
        hv.save(5, stream, live=True)
        stream.write(b"!")
    assert path.read_bytes() == b"HEADERLibxlFmt-stream!"
    assert fake.calls == [("suspend", 5, True)]


def test_save_reports_what_it_knows(hv: LibxlHypervisor, fake: FakeLibxl,
                                    tmp_path: Path) -> None:
    calls: list[dict[str, int]] = []
    with open(tmp_path / "img", "wb") as stream:
        stream.write(b"HEADER")
        hv.save(5, stream, live=True, progress=calls.append)
    assert calls == [{"sent": len(b"LibxlFmt-stream"),
                      "total": len(b"LibxlFmt-stream"), "iteration": 0,
                      "dirty": 0, "pages": 0}]
    read, write = os.pipe()
    with os.fdopen(read, "rb") as incoming, \
            os.fdopen(write, "wb") as outgoing:
        hv.save(5, outgoing, progress=calls.append)
        outgoing.flush()
        assert os.read(incoming.fileno(), 100) == b"LibxlFmt-stream"
    assert len(calls) == 1          # a pipe: the size is not known


def test_restore_reads_from_the_logical_position(
        hv: LibxlHypervisor, fake: FakeLibxl, tmp_path: Path) -> None:
    path = tmp_path / "img"
    image = libxl_image()
    path.write_bytes(b"HEADER" + image)
    with open(path, "rb") as stream:
        assert stream.read(6) == b"HEADER"   # the buffer read it all
        assert hv.restore({"c_info": {}}, stream) == 8
    [(call, fd, read)] = fake.calls     # the fake reads a little
    assert (call, fd) == ("restore", 6) and read and image.startswith(read)
    path.write_bytes(b"HEADER" + image[:-8])
    with open(path, "rb") as stream, \
            pytest.raises(xe.HypervisorError, match="truncated"):
        stream.read(6)
        hv.restore({"c_info": {}}, stream)


def test_events_are_delivered_and_domains_armed(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    got: list[DomainEvent] = []
    seen = threading.Event()

    def callback(ev: DomainEvent) -> None:
        got.append(ev)
        if ev.kind == "death":
            seen.set()

    hv.watch_events(callback)
    assert ("enable", 5) in fake.calls and ("enable", 0) not in fake.calls
    assert hv.create({}) == 7 and ("enable", 7) in fake.calls
    fake.dominfo[5].update(shutdown=True, shutdown_reason="suspend")
    hv.resume(5)                      # re-armed: a fresh evgen
    assert fake.calls[-3:] == [("resume", 5, True), ("disable", "evgen-5"),
                               ("enable", 5)]
    fake.events.put(LibxlEvent("domain_shutdown", 7, "u7", 7, "reboot"))
    fake.events.put(LibxlEvent("disk_eject", 7, "u7", 7))
    fake.events.put(LibxlEvent("domain_death", 7, "u7", 7))
    assert seen.wait(5)
    assert got == [DomainEvent("shutdown", 7, "u7", "reboot"),
                   DomainEvent("death", 7, "u7")]
    assert ("disable", "evgen-7") in fake.calls
    with pytest.raises(xe.InvalidState):
        hv.watch_events(callback)
    hv.close()
    assert ("disable", "evgen-5") in fake.calls[-2:] and fake.closed


def test_callback_errors_do_not_stop_the_pump(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    got: list[DomainEvent] = []
    done = threading.Event()

    def callback(ev: DomainEvent) -> None:
        got.append(ev)
        if len(got) == 1:
            raise RuntimeError("boom")
        done.set()

    hv.watch_events(callback)
    fake.events.put(LibxlEvent("domain_shutdown", 5, "u5", 5, "crash"))
    fake.events.put(LibxlEvent("domain_death", 5, "u5", 5))
    assert done.wait(5)
    hv.close()
    assert [e.kind for e in got] == ["shutdown", "death"]


def test_failed_create_short_of_memory_is_not_enough_memory(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    fake.fail["create"] = error_for(-3, "libxl_domain_create_new")
    with pytest.raises(xe.HypervisorError):      # memory was not the cause
        hv.create({})
    fake.need = None
    with pytest.raises(xe.HypervisorError):      # cannot tell: unchanged
        hv.create({})
    fake.need = 5000
    with pytest.raises(xe.NotEnoughMemory, match="needs 5000 KiB, 4000"):
        hv.create({})
    fake.fail["create"] = error_for(-6, "libxl_domain_create_new")
    with pytest.raises(xe.InvalidArgument):      # only HypervisorError
        hv.create({})


def test_failed_create_with_a_taken_name_is_domain_exists(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    fake.fail["create"] = error_for(-3, "libxl_domain_create_new")
    fake.names = {"web1": 5}
    with pytest.raises(xe.DomainExists,
                       match='Domain with name "web1" already exists'):
        hv.create({"c_info": {"name": "web1"}})
    with pytest.raises(xe.HypervisorError):
        hv.create({"c_info": {"name": "web2"}})


def test_rename(hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    hv.rename(5, "new")
    assert fake.calls == [("rename", 5, "new")]
    with pytest.raises(xe.InvalidArgument):
        hv.rename(5, "")
    fake.fail["rename"] = error_for(-6, "libxl_domain_rename", 5)
    fake.names = {"taken": 6, "mine": 5}
    with pytest.raises(xe.DomainExists):
        hv.rename(5, "taken")
    with pytest.raises(xe.InvalidArgument):
        hv.rename(5, "mine")           # not taken by another domain


def test_shutdowns_seen_before_watching_are_not_reported_again(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    fake.dominfo[5].update(shutdown=True, shutdown_reason="crash")
    fake.dominfo[6] = {"domid": 6, "running": True}
    assert [d.shutdown for d in hv.list_domains()] == [False, True, False]
    got: list[DomainEvent] = []
    done = threading.Event()

    def callback(ev: DomainEvent) -> None:
        got.append(ev)
        if ev.kind == "death":
            done.set()

    hv.watch_events(callback)
    # what libxl reports on arming: 5 (seen by the caller) and 6 (shut
    # down after the caller looked)
    fake.events.put(LibxlEvent("domain_shutdown", 5, "u5", 5, "crash"))
    fake.events.put(LibxlEvent("domain_shutdown", 6, "u6", 6, "poweroff"))
    fake.events.put(LibxlEvent("domain_death", 6, "u6", 6))
    assert done.wait(5)
    hv.close()
    assert got == [DomainEvent("shutdown", 6, "u6", "poweroff"),
                   DomainEvent("death", 6, "u6")]


def test_constructor_accepts_the_daemon_arguments() -> None:
    hv = LibxlHypervisor(state_dir="/var/lib/xend")
    assert hv.state_dir == "/var/lib/xend"
    hv.close()                       # nothing was opened: nothing to close


def test_domain0_is_refused_before_libxl(hv: LibxlHypervisor,
                                         fake: FakeLibxl) -> None:
    # libxl_domain_destroy(0) deletes dom0's Xenstore directory before Xen
    # refuses: seen in the lab, after which no libxl call worked.
    for call in (hv.destroy, hv.shutdown, hv.pause, hv.unpause,
                 lambda d: hv.send_sysrq(d, "h"),
                 lambda d: hv.rename(d, "x")):
        with pytest.raises(xe.InvalidArgument, match="Domain-0"):
            call(0)
    assert fake.calls == []


def test_calls_on_a_missing_domain_are_domain_not_found(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    # libxl_domain_pause of a domain that does not exist is ERROR_FAIL.
    fake.fail["pause"] = error_for(-3, "libxl_domain_pause", 4242)
    with pytest.raises(xe.DomainNotFound):
        hv.pause(4242)
    fake.fail["pause"] = error_for(-3, "libxl_domain_pause", 5)
    with pytest.raises(xe.HypervisorError):     # exists: libxl's error
        hv.pause(5)


def test_create_refuses_what_libxl_would_build_unusable(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    for b_info in ({"target_memkb": 2048, "max_memkb": 1024},
                   {"max_vcpus": 2, "avail_vcpus": [0, 5]}):
        with pytest.raises(xe.InvalidArgument):
            hv.create({"c_info": {"name": "w"}, "b_info": b_info})
    assert fake.calls == []


def test_failed_create_of_an_invalid_config_is_invalid_argument(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    fake.host = {"nr_cpus": 2}

    def pv_config(name: str) -> dict[str, Any]:
        return {"c_info": {"type": "pv", "name": name},
                "b_info": {"max_vcpus": 1, "avail_vcpus": [0],
                           "max_memkb": 131072, "target_memkb": 131072,
                           "kernel": KERNEL, "type.pv": {}}}
    fake.fail["create"] = error_for(-3, "libxl_domain_create_new")
    config = pv_config("w")
    config["b_info"]["sched_params"] = {"weight": 70000}
    with pytest.raises(xe.InvalidArgument, match="weight out of range"):
        hv.create(config)
    with pytest.raises(xe.HypervisorError) as caught:   # valid: libxl's error
        hv.create(pv_config("w"))
    assert not isinstance(caught.value, xe.InvalidArgument)
    assert "ERROR_FAIL" in str(caught.value)


def test_failed_create_with_a_missing_kernel_names_the_file(
        hv: LibxlHypervisor, fake: FakeLibxl, tmp_path: Path) -> None:
    """libxl says ERROR_FAIL and logs the errno; xend says which file."""
    fake.host = {"nr_cpus": 2}
    fake.fail["create"] = error_for(-3, "libxl_domain_create_new")
    missing = str(tmp_path / "vmlinuz-gone")
    config = {"c_info": {"type": "pv", "name": "k"},
              "b_info": {"max_vcpus": 1, "avail_vcpus": [0],
                         "max_memkb": 131072, "target_memkb": 131072,
                         "kernel": missing, "type.pv": {}}}
    with pytest.raises(xe.HypervisorError) as caught:
        hv.create(config)
    assert str(caught.value) == f"Kernel image does not exist: {missing}"
    config["b_info"]["kernel"] = KERNEL
    config["b_info"]["ramdisk"] = missing
    with pytest.raises(xe.HypervisorError,
                       match="^Kernel ramdisk does not exist: "):
        hv.create(config)


def test_missing_domain_sched_and_memory_target_above_max(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    def invalid(*args: Any) -> Any:
        raise error_for(-6, "libxl call", 5)
    fake.sched_params = invalid             # type: ignore[method-assign]
    with pytest.raises(xe.DomainNotFound):
        hv.sched_get(4242)
    with pytest.raises(xe.InvalidArgument):
        hv.sched_get(5)
    fake.set_memory_target = invalid        # type: ignore[attr-defined]
    with pytest.raises(xe.InvalidArgument, match="above the domain's maxmem"):
        hv.set_memory_target(5, 1 << 20)


def test_debug_keys_are_checked_before_libxl(hv: LibxlHypervisor,
                                             fake: FakeLibxl) -> None:
    for keys in ("", "h q", "\u00e9"):
        with pytest.raises(xe.InvalidArgument):
            hv.send_debug_keys(keys)
    assert fake.calls == []
    hv.send_debug_keys("hq")
    assert fake.calls == [("send_debug_keys", "hq")]


def test_core_dump_checks_dom0_and_disk_room_first(
        hv: LibxlHypervisor, fake: FakeLibxl, tmp_path: Path) -> None:
    with pytest.raises(xe.InvalidArgument, match="Domain-0"):
        hv.core_dump(0, str(tmp_path / "dom0.core"))
    fake.dominfo[5]["current_memkb"] = 256 * 1024
    hv.core_dump(5, str(tmp_path / "g.core"))
    assert fake.calls[-1] == ("core_dump", 5, str(tmp_path / "g.core"))
    # A file system with less room than the guest's memory: refused
    # before libxl writes anything.
    st = os.statvfs(tmp_path)
    fake.dominfo[5]["current_memkb"] = (st.f_bfree * st.f_frsize) // 1024 + 1
    fake.calls.clear()
    with pytest.raises(xe.StorageError, match="not enough disk space"):
        hv.core_dump(5, str(tmp_path / "big.core"))
    assert fake.calls == [] and not (tmp_path / "big.core").exists()


def test_core_dump_of_a_vanished_domain_is_domain_not_found(
        hv: LibxlHypervisor, fake: FakeLibxl, tmp_path: Path) -> None:
    with pytest.raises(xe.DomainNotFound):
        hv.core_dump(4242, str(tmp_path / "x.core"))
    fake.dominfo[5]["cpu_time"] = 10**9
    fake.fail["core_dump"] = error_for(-3, "libxl_domain_core_dump", 5)
    with pytest.raises(xe.HypervisorError):
        hv.core_dump(5, str(tmp_path / "y.core"))


def test_core_dump_of_a_pv_domain_that_never_ran_says_so(
        hv: LibxlHypervisor, fake: FakeLibxl, tmp_path: Path) -> None:
    """libxc cannot walk the memory map of a PV domain whose kernel never
    ran (ERROR_FAIL): the error says why; an HVM domain's failure stays
    libxl's."""
    fake.fail["core_dump"] = error_for(-3, "libxl_domain_core_dump", 5)
    fake.dominfo[5].update(cpu_time=0, domain_type="pv")
    with pytest.raises(xe.InvalidState, match="never run"):
        hv.core_dump(5, str(tmp_path / "p.core"))
    fake.dominfo[5].update(domain_type="hvm")
    with pytest.raises(xe.HypervisorError):
        hv.core_dump(5, str(tmp_path / "h.core"))


def test_host_topology_drops_invalid_entries_as_xl_does(
        hv: LibxlHypervisor, fake: FakeLibxl) -> None:
    """libxl's JSON omits fields at 0; an offline cpu has
    LIBXL_CPUTOPOLOGY_INVALID_ENTRY in each field, a memoryless node in its
    size; sizes are bytes, distances may be invalid too."""
    bad = 0xFFFFFFFF
    fake.topology = [{}, {"core": 1}, {"core": bad, "socket": bad,
                                       "node": bad},
                     {"core": 2, "socket": bad, "node": 1}]
    fake.numa = [{"size": 8 << 30, "free": 3 << 30, "dists": [10, 21, bad]},
                 {"size": bad, "free": bad, "dists": [21, 10, bad]},
                 {"size": 1 << 30, "dists": [bad, 21, 10]}]
    topo = hv.host_topology()
    assert topo.cpus == (CpuTopology(0, 0, 0, 0), CpuTopology(1, 1, 0, 0),
                         CpuTopology(3, 2, None, 1))
    assert topo.nodes == (
        NumaNode(0, 8 << 20, 3 << 20, (10, 21, None)),
        NumaNode(2, 1 << 20, 0, (None, 21, 10)))


class KeyStore:
    """The part of PyxsStore the backend reads VNC displays with."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def read(self, path: str) -> str | None:
        return self.values.get(path)

    def close(self) -> None:
        pass


def test_vnc_display_reads_the_keys_libxl_writes(hv: LibxlHypervisor) -> None:
    hv._store = KeyStore({  # type: ignore[assignment]
        "/local/domain/5/console/vnc-listen": "0.0.0.0",
        "/local/domain/5/console/vnc-port": "5903",
        "/local/domain/5/console/vnc-pass": "pw"})
    assert hv.vnc_display(5) == {"listen": "0.0.0.0", "port": 5903,
                                 "password": "pw"}
    hv._store = KeyStore({  # type: ignore[assignment]
        "/local/domain/5/console/vnc-port": "5900"})
    # xl vncviewer's default address when vnc-listen is missing
    assert hv.vnc_display(5) == {"listen": "localhost", "port": 5900,
                                 "password": None}
    hv._store = KeyStore({})  # type: ignore[assignment]
    assert hv.vnc_display(5) is None
    with pytest.raises(xe.DomainNotFound):
        hv.vnc_display(9)
