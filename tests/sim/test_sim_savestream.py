"""Simulator-only: the save stream's rounds, progress and throttle."""

from __future__ import annotations

import io
import threading
import time

import pytest
from sim_helpers import MakeSim, FakeClock, pv_config

from xend.errors import (DomainNotFound, HypervisorError, InvalidArgument,
                         InvalidState)
from xend.hv.sim import SimHypervisor, pages


@pytest.fixture
def sim(make_sim: MakeSim, clock: FakeClock) -> SimHypervisor:
    return make_sim(clock=clock)


def save(sim: SimHypervisor, domid: int, live: bool = False
         ) -> tuple[bytes, list[dict[str, int]]]:
    calls: list[dict[str, int]] = []
    stream = io.BytesIO()
    sim.save(domid, stream, live=live, progress=calls.append)
    return stream.getvalue(), calls


# -- the rounds --------------------------------------------------------------
def test_rounds_of_a_save() -> None:
    [only] = pages.plan_rounds(512, live=False)
    assert (only.iteration, list(only.pages), only.final) == \
        (0, list(range(512)), True)
    rounds = pages.plan_rounds(512, live=True)
    assert [(r.iteration, len(r.pages), r.final) for r in rounds] == \
        [(0, 512, False), (1, 64, False), (2, 8, True)]
    for r in rounds[1:]:
        assert len(set(r.pages)) == len(r.pages)
        assert all(0 <= p < 512 for p in r.pages)
    assert rounds[1].pages != rounds[2].pages[:len(rounds[1].pages)]
    # A small guest: the first dirty set is already small.
    assert [len(r.pages) for r in pages.plan_rounds(16, live=True)] == [16, 2]
    assert [len(r.pages) for r in pages.plan_rounds(1, live=True)] == [1, 1]
    # A huge one stops after MAX_LIVE_ROUNDS rounds with the guest running.
    huge = pages.plan_rounds(1 << 20, live=True)
    assert len(huge) == pages.MAX_LIVE_ROUNDS + 1 and huge[-1].final
    assert [len(r.pages) for r in huge][-1] == (1 << 20) >> 15
    assert pages.page_count(512 * 1024) == 512
    assert pages.page_count(1) == 1


@pytest.mark.parametrize("live", [False, True])
def test_round_trip(sim: SimHypervisor, live: bool) -> None:
    domid = sim.create(pv_config("rt", mem_mib=512, vcpus=2))
    sim.unpause(domid)
    sim.set_vcpu_affinity(domid, 1, [2])
    sim.sched_set(domid, weight=640)
    config = sim.domain_config(domid)
    data, calls = save(sim, domid, live=live)
    assert sim.domain_info(domid).shutdown_reason == "suspend"
    sim.destroy(domid)
    new = sim.restore(config, io.BytesIO(data))
    info = sim.domain_info(new)
    assert info.paused and info.uuid == config["c_info"]["uuid"]
    assert sim.list_vcpus(new)[1].affinity == (2,)
    assert sim.sched_get(new).weight == 640
    # The first round alone is 2 MiB for 512 MiB of guest.
    first = [c for c in calls if c["iteration"] == 0][-1]
    assert first["sent"] > 512 * 4096
    if live:
        assert len(data) > 512 * 4096 + 64 * 4096
    else:
        assert len(data) < 512 * 4096 + 64 * 4096


def test_live_save_suspends_only_for_the_last_round(
        sim: SimHypervisor) -> None:
    domid = sim.create(pv_config(mem_mib=256))
    sim.unpause(domid)
    seen: list[tuple[int, str | None]] = []

    def progress(p: dict[str, int]) -> None:
        seen.append((p["iteration"],
                     sim.domain_info(domid).shutdown_reason))

    sim.save(domid, io.BytesIO(), live=True, progress=progress)
    last = seen[-1][0]
    assert last > 0
    assert all(reason is None for it, reason in seen if it < last)
    assert all(reason == "suspend" for it, reason in seen if it == last)
    seen.clear()
    sim.resume(domid)
    sim.save(domid, io.BytesIO(), live=False, progress=progress)
    assert seen and all(s == (0, "suspend") for s in seen)


def test_a_guest_gone_during_a_live_save_fails_it(sim: SimHypervisor) -> None:
    for end in ("destroy", "crash"):
        domid = sim.create(pv_config(mem_mib=256))
        sim.unpause(domid)

        def progress(p: dict[str, int], domid: int = domid,
                     end: str = end) -> None:
            if p["iteration"] == 0 and p["sent"] > 256 * 1024:
                if end == "destroy":
                    sim.destroy(domid)
                elif sim.domain_info(domid).shutdown_reason is None:
                    sim.inject_crash(domid)

        error = DomainNotFound if end == "destroy" else InvalidState
        with pytest.raises(error):
            sim.save(domid, io.BytesIO(), live=True, progress=progress)


# -- progress ----------------------------------------------------------------
@pytest.mark.parametrize("live", [False, True])
def test_progress(sim: SimHypervisor, live: bool) -> None:
    domid = sim.create(pv_config(mem_mib=512))
    sim.unpause(domid)
    data, calls = save(sim, domid, live=live)
    assert set(calls[0]) == {"sent", "total", "iteration", "dirty", "pages"}
    sent = [c["sent"] for c in calls]
    assert sent == sorted(set(sent))            # strictly increasing
    assert sent[-1] == len(data) == calls[-1]["total"]
    assert all(c["sent"] <= c["total"] for c in calls)
    # At least every 256 KiB (plus a batch's framing).
    assert max(b - a for a, b in zip([0] + sent, sent)) <= 256 * 1024 + 512
    assert {c["pages"] for c in calls} == {512}
    iterations = [c["iteration"] for c in calls]
    assert iterations == sorted(iterations)
    assert [c["dirty"] for c in calls if c["iteration"] == 0][0] == 512
    if live:
        rounds = sorted(set(iterations))
        assert rounds[0] == 0 and len(rounds) > 1
        assert rounds == list(range(len(rounds)))   # one call a round at least
        dirty = {c["iteration"]: c["dirty"] for c in calls}
        assert all(dirty[i + 1] < dirty[i] for i in rounds[:-1])
    else:
        assert set(iterations) == {0}


def test_progress_runs_outside_the_lock(make_sim: MakeSim) -> None:
    """While a save reports (or sleeps), other requests go on."""
    sim = make_sim(stream_rate_kib=1024)
    domid = sim.create(pv_config(mem_mib=64))
    sim.unpause(domid)
    reporting, listed = threading.Event(), threading.Event()
    waited: list[bool] = []

    def progress(p: dict[str, int]) -> None:
        if not reporting.is_set():
            reporting.set()
            waited.append(listed.wait(10))

    thread = threading.Thread(target=sim.save, args=(domid, io.BytesIO()),
                              kwargs={"live": True, "progress": progress})
    thread.start()
    assert reporting.wait(10)
    assert any(d.domid == domid for d in sim.list_domains())
    listed.set()
    thread.join(10)
    assert waited == [True]


# -- the throttle ----------------------------------------------------------
def test_throttle_paces_the_stream(make_sim: MakeSim) -> None:
    rate_kib = 1024
    sim = make_sim(stream_rate_kib=rate_kib)
    domid = sim.create(pv_config(mem_mib=64))
    start = time.monotonic()
    data, _calls = save(sim, domid)
    elapsed = time.monotonic() - start
    # 64 pages (256 KiB) at 1 MiB/s: a quarter of a second at least.
    assert elapsed >= 0.9 * (len(data) - 4096) / (rate_kib * 1024)


def test_close_ends_a_throttled_save(make_sim: MakeSim) -> None:
    sim = make_sim(stream_rate_kib=1)
    domid = sim.create(pv_config(mem_mib=64))
    started = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sim.save(domid, io.BytesIO(),
                     progress=lambda p: started.set())
        except HypervisorError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(10)
    sim.close()
    thread.join(10)
    assert not thread.is_alive()
    assert [str(e) for e in errors] == \
        ["save failed: the simulated hypervisor is closing"]


def test_bad_rate_is_refused(make_sim: MakeSim) -> None:
    with pytest.raises(InvalidArgument, match="stream_rate_kib"):
        make_sim(stream_rate_kib=-1)


def test_page_contents_are_deterministic() -> None:
    a = pages.PageSource("uuid-a")
    assert a.page(3, 0) == pages.PageSource("uuid-a").page(3, 0)
    assert len(a.page(3, 0)) == pages.PAGE_SIZE
    assert len({a.page(3, 0), a.page(4, 0), a.page(3, 1),
                pages.PageSource("uuid-b").page(3, 0)}) == 4

