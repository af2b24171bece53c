"""Simulator-only: guest behaviour under a hand-moved clock.

The clock is a :class:`FakeClock`; ``run_due_events`` applies what is due
so nothing here depends on the timer thread's timing (one test checks the
thread itself with the real clock).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sim_helpers import (EventRecorder, FakeClock, MakeSim, hvm_config,
                         pv_config)

from xend.errors import (HypervisorError, InvalidArgument, InvalidState,
                         NotSupported)
from xend.hv.base import DomainEvent
from xend.hv.sim import SimHypervisor

DELAY = 2.0


@pytest.fixture
def sim(make_sim: MakeSim, clock: FakeClock) -> SimHypervisor:
    return make_sim(clock=clock, guest_shutdown_delay=DELAY)


@pytest.fixture
def rec(sim: SimHypervisor) -> EventRecorder:
    recorder = EventRecorder()
    sim.watch_events(recorder)
    return recorder


def started(sim: SimHypervisor,
            config: dict[str, Any] | None = None) -> int:
    domid = sim.create(config or pv_config())
    sim.unpause(domid)
    return domid


def settle(sim: SimHypervisor) -> None:
    sim.run_due_events()
    assert sim.flush_events()


def test_shutdown_takes_the_guest_delay(sim: SimHypervisor, clock: FakeClock,
                                        rec: EventRecorder) -> None:
    domid = started(sim)
    sim.shutdown(domid)
    clock.advance(DELAY - 0.1)
    settle(sim)
    assert not sim.domain_info(domid).shutdown
    clock.advance(0.2)
    settle(sim)
    assert sim.domain_info(domid).shutdown_reason == "poweroff"
    assert rec.of(domid) == [("shutdown", "poweroff")]


def test_pause_freezes_the_countdown(sim: SimHypervisor, clock: FakeClock,
                                     rec: EventRecorder) -> None:
    domid = started(sim)
    sim.shutdown(domid, reboot=True)
    clock.advance(1.5)
    sim.pause(domid)
    clock.advance(100)
    settle(sim)
    assert not sim.domain_info(domid).shutdown
    sim.unpause(domid)
    clock.advance(0.4)
    settle(sim)
    assert not sim.domain_info(domid).shutdown
    clock.advance(0.2)
    settle(sim)
    assert sim.domain_info(domid).shutdown_reason == "reboot"
    assert rec.of(domid) == [("shutdown", "reboot")]


def test_new_domain_reacts_after_first_unpause(
        sim: SimHypervisor, clock: FakeClock) -> None:
    domid = sim.create(pv_config())
    sim.shutdown(domid)
    clock.advance(60)
    settle(sim)
    assert not sim.domain_info(domid).shutdown
    sim.unpause(domid)
    clock.advance(DELAY)
    settle(sim)
    assert sim.domain_info(domid).shutdown


def test_cpu_time_follows_the_clock(sim: SimHypervisor,
                                    clock: FakeClock) -> None:
    domid = started(sim, pv_config(vcpus=2))
    clock.advance(100)
    one = sim.domain_info(domid).cpu_time_ns
    clock.advance(100)
    two = sim.domain_info(domid).cpu_time_ns
    assert one > 0 and two == 2 * one
    sim.set_vcpus_online(domid, 1)
    clock.advance(100)
    assert sim.domain_info(domid).cpu_time_ns == two + one // 2
    times = [v.time_ns for v in sim.list_vcpus(domid)]
    assert sum(times) == sim.domain_info(domid).cpu_time_ns


def test_crash_injection(sim: SimHypervisor, rec: EventRecorder) -> None:
    domid = started(sim)
    sim.inject_crash(domid)
    sim.flush_events()
    info = sim.domain_info(domid)
    assert info.crashed and info.state_string == "----c-"
    assert rec.of(domid) == [("shutdown", "crash")]
    assert "crashed" in sim.dmesg()
    with pytest.raises(InvalidState):
        sim.inject_crash(domid)


def test_state_strings(sim: SimHypervisor, clock: FakeClock) -> None:
    assert sim.domain_info(0).state_string == "r-----"
    domid = sim.create(pv_config())
    assert sim.domain_info(domid).state_string == "--p---"
    sim.unpause(domid)
    assert sim.domain_info(domid).state_string == "-b----"
    sim.shutdown(domid)
    clock.advance(DELAY)
    settle(sim)
    assert sim.domain_info(domid).state_string == "---s--"


@pytest.mark.parametrize("key,reason", [("b", "reboot"), ("o", "poweroff"),
                                        ("c", "crash")])
def test_sysrq_reaches_the_guest_kernel(sim: SimHypervisor,
                                        rec: EventRecorder, key: str,
                                        reason: str) -> None:
    domid = started(sim)
    sim.send_sysrq(domid, key)
    sim.flush_events()
    assert sim.domain_info(domid).shutdown_reason == reason
    assert rec.of(domid) == [("shutdown", reason)]


def test_sysrq_waits_for_a_paused_guest(sim: SimHypervisor,
                                        clock: FakeClock) -> None:
    domid = started(sim)
    sim.pause(domid)
    sim.send_sysrq(domid, "o")
    settle(sim)
    assert not sim.domain_info(domid).shutdown
    sim.unpause(domid)      # the kernel handles the key at once
    assert sim.domain_info(domid).shutdown_reason == "poweroff"


def test_triggers_follow_xen(sim: SimHypervisor, clock: FakeClock) -> None:
    pv = started(sim)
    with pytest.raises(HypervisorError, match="power"):
        sim.send_trigger(pv, "power")
    for trigger in ("reset", "init"):
        with pytest.raises(NotSupported):
            sim.send_trigger(pv, trigger)
    with pytest.raises(InvalidArgument):
        sim.send_trigger(pv, "nmi", vcpu=9)
    sim.send_trigger(pv, "nmi")
    hvm = started(sim, hvm_config())
    sim.send_trigger(hvm, "sleep")
    sim.send_trigger(hvm, "s3resume")
    sim.send_trigger(hvm, "power")
    clock.advance(DELAY)
    settle(sim)
    assert sim.domain_info(hvm).shutdown_reason == "poweroff"
    assert not sim.domain_info(pv).shutdown


def test_timer_thread_delivers_without_help(make_sim: MakeSim) -> None:
    sim = make_sim(guest_shutdown_delay=0.05)
    rec = EventRecorder()
    sim.watch_events(rec)
    domid = started(sim)
    sim.shutdown(domid)
    event = rec.wait_for(lambda e: e.domid == domid, timeout=3)
    assert event.reason == "poweroff"


def test_events_before_a_callback_are_kept(sim: SimHypervisor) -> None:
    domid = started(sim)
    sim.inject_crash(domid)
    rec = EventRecorder()
    sim.watch_events(rec)
    sim.flush_events()
    assert rec.of(domid) == [("shutdown", "crash")]


def test_callback_may_call_back_into_the_simulator(
        sim: SimHypervisor) -> None:
    seen: list[str] = []
    done = threading.Event()

    def callback(event: DomainEvent) -> None:
        if event.kind == "shutdown":
            seen.append(sim.domain_info(event.domid).state_string)
            sim.destroy(event.domid)
        else:
            done.set()

    sim.watch_events(callback)
    domid = started(sim)
    sim.inject_crash(domid)
    assert done.wait(3)
    assert seen == ["----c-"]


def test_concurrent_creates_get_distinct_ids(sim: SimHypervisor) -> None:
    ids: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            domid = sim.create(pv_config(mem_mib=64))
            with lock:
                ids.append(domid)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == list(range(1, 21))


def test_console_pty_shows_a_boot_banner(sim: SimHypervisor) -> None:
    import os
    import select
    domid = started(sim, pv_config("chatty"))
    path = sim.console_path(domid)
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        ready, _, _ = select.select([fd], [], [], 2)
        assert ready
        assert b"Linux version" in os.read(fd, 4096)
    finally:
        os.close(fd)
    sim.destroy(domid)
    from xend.errors import DomainNotFound
    with pytest.raises(DomainNotFound):
        sim.console_path(domid)


def test_dmesg_names_the_simulated_host(sim: SimHypervisor) -> None:
    import socket
    assert f"Simulated host {socket.gethostname()}" in sim.dmesg()


def test_a_guest_named_in_ignore_shutdown_never_acts_on_it(
        make_sim: MakeSim, clock: FakeClock) -> None:
    sim = make_sim(clock=clock, guest_shutdown_delay=DELAY,
                   ignore_shutdown=("deaf",))
    deaf = started(sim, pv_config("deaf"))
    other = started(sim, pv_config("other"))
    sim.shutdown(deaf)
    sim.shutdown(other)
    clock.advance(DELAY * 10)
    settle(sim)
    assert not sim.domain_info(deaf).shutdown
    assert sim.domain_info(other).shutdown_reason == "poweroff"
    sim.send_sysrq(deaf, "o")                   # the kernel still listens
    settle(sim)
    assert sim.domain_info(deaf).shutdown_reason == "poweroff"
