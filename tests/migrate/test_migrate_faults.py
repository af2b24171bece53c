"""Fault injection into live migration between two xends (simulator), each
in its own network namespace (tests/migrate/README.md, "Fault campaign").

Every case migrates domain ``fm`` from a to b while something breaks,
prints what it tried and where the domain ended, and asserts the invariant
(:mod:`tests.migrate.faultcheck`): exactly one running copy, on b only if
the destination confirmed (``xm migrate`` rc 0), no ``--incoming`` or
``--migratedaway`` leftover, both xends answering.

1. The connection cut after exactly N bytes, up or down, RST or FIN, at
   offsets all over both streams (learned from one uncut run); fewer of a
   live migration's, and of one over TLS.
2. ``kill -9`` of the receiving xend at random moments, then restarted.
3. ``kill -9`` of the sending xend at random moments, then restarted.
4. The destination short of memory; a name clash there.

The campaigns (1-3) are marked ``faults`` and left out of the default run
(``pytest -m faults tests/migrate`` runs them; scripts/run-tests.sh does);
a small sample of each runs by default.  Random choices come from one seed,
printed; ``XEND_FAULT_SEED=N`` repeats a run.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.migrate.campaign import NAME, Campaign, Trigger, delays
from tests.migrate.certs import Certs
from tests.migrate.faultcheck import (Expect, error_line, uuid_of,
                                      violations, xm_in)
from tests.migrate.streamlayout import Layout, choose_offsets
from tests.migrate.twohosts import TwoHosts, relocation_keys

pytestmark = pytest.mark.e2e

CUT_OFFSETS_UP = 40
CUT_OFFSETS_DOWN = 20
LIVE_OFFSETS_UP = 24         # live: the dirty rounds' stream, one close each
LIVE_OFFSETS_DOWN = 12
TLS_OFFSETS = (12, 8)        # over TLS, up and down: random, one close each
KILLS = 20
KILL_MEMORY = 512            # MiB: a 2 MiB image, about 1 s at the rate
STREAM_RATE = 2048           # KiB/s, a's sim-stream-rate in kill cases
KILL_SPAN = 1.2              # kills land in [0, 1.2 x an undisturbed run)
STAGES = ["a:out/sending", "b:in/received", "a:out/go", "b:in/committed"]


def rng_for(what: str) -> tuple[random.Random, str]:
    """A random generator, and ``what`` with its seed for the report."""
    seed = int(os.environ.get("XEND_FAULT_SEED") or
               time.time_ns() % 1_000_000)
    print(f"{what}: seed {seed} (XEND_FAULT_SEED={seed} repeats it)")
    return random.Random(seed), f"{what} (seed {seed})"


def pair(two_hosts: Callable[..., TwoHosts], **a_keys: object) -> TwoHosts:
    """a and b, both relocation servers (the domain comes home)."""
    return two_hosts(a={**relocation_keys("a"), **a_keys},
                     b=relocation_keys("b"))


def conclude(campaign: Campaign,
             capsys: pytest.CaptureFixture[str] | None = None) -> None:
    """The counts (``capsys``: also on the terminal, even with -q) and
    the verdict."""
    tally = campaign.finish()
    if capsys is not None:
        with capsys.disabled():
            print("\n" + tally.report())
    assert not tally.failures, tally.report()


# -- 1. cuts -----------------------------------------------------------------

@pytest.mark.faults
def test_cut_campaign(two_hosts, certs: Certs, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    """Plain TCP, both closes at every offset; then fewer offsets, one
    close each, of a live migration and of a migration over TLS."""
    rng, title = rng_for("cut campaign")
    keys = {label: relocation_keys(label, ssl=True, certs=certs)
            for label in ("a", "b")}
    campaign = Campaign(two_hosts(**keys), tmp_path, title)
    up, down = campaign.learn_layouts()
    print(f"up stream {up.total} bytes, down stream {down.total} bytes")
    cases = [(layout, offset, close)
             for layout, count in ((up, CUT_OFFSETS_UP),
                                   (down, CUT_OFFSETS_DOWN))
             for offset in choose_offsets(layout, rng, count)
             for close in ("rst", "fin")]
    assert len({(lay.direction, off) for lay, off, _ in cases}) >= 50
    for layout, offset, close in cases:
        campaign.cut(layout, offset, close)

    campaign.use(live=True)
    up, down = campaign.learn_layouts()
    for layout, count in ((up, LIVE_OFFSETS_UP), (down, LIVE_OFFSETS_DOWN)):
        for i, offset in enumerate(choose_offsets(layout, rng, count)):
            campaign.cut(layout, offset, ("rst", "fin")[i % 2])

    campaign.use(tls=True)
    sizes = [len(data) for data in campaign.learn()]
    for direction, size, count in zip(("up", "down"), sizes, TLS_OFFSETS):
        offsets = {0, 1, size - 1} | {rng.randrange(size)
                                      for _ in range(count)}
        for i, offset in enumerate(sorted(offsets)):
            campaign.cut_raw(direction, offset, ("rst", "fin")[i % 2])
    conclude(campaign, capsys)


def test_cut_sample(two_hosts, tmp_path: Path) -> None:
    """Six cuts: inside the header, inside the image and after the whole
    stream (up); inside "received", right before the result (the
    receiver's result cannot be sent after its commit) and inside it
    (down)."""
    rng, title = rng_for("cut sample")
    campaign = Campaign(pair(two_hosts), tmp_path, title)
    up, down = campaign.learn_layouts()
    result = down.named("result")[0].start
    cases: list[tuple[Layout, int, str]] = [
        (up, rng.randrange(*up.span("header")), "fin"),
        (up, rng.randrange(*up.span("image")), "rst"),
        (up, up.total, "fin"),
        (down, rng.randrange(*down.span("received")), "fin"),
        (down, result, "rst"),
        (down, rng.randrange(result + 1, down.total), "rst")]
    for layout, offset, close in cases:
        campaign.cut(layout, offset, close)
    conclude(campaign)


# -- 2, 3. kill -9 ---------------------------------------------------------------

def kill_all(campaign: Campaign, rng: random.Random, victims: list[str],
             count: int, outage: bool = False, double: int = 0,
             capsys: pytest.CaptureFixture[str] | None = None) -> None:
    """``count`` kills of each victim: half at random moments over a
    whole migration (one per slice of it), half a few random milliseconds
    after a journal stage (the short phases: restored and waiting for the
    go, cleared to go, committed), cycling through the stages from a
    random one.  With
    ``outage``, one more: b killed after the go and kept down until xm
    gives up (30 s), so that a's resolver settles it once b is back.
    ``double`` more: both killed after the go, a restarted while b is
    down (a's recovery cannot ask), then b."""
    took = {live: campaign.timed_run(live) for live in (False, True)}
    for label in victims:
        victim = getattr(campaign, label)
        timed = delays(rng, (count + 1) // 2, KILL_SPAN)
        triggers = [Trigger(fraction) for fraction in timed]
        first = rng.randrange(len(STAGES))
        triggers += [Trigger(rng.uniform(0, 0.02),
                             STAGES[(first + i) % len(STAGES)])
                     for i in range(count - len(timed))]
        rng.shuffle(triggers)
        for trigger in triggers:
            live = rng.random() < 0.5
            if trigger.stage is None:
                trigger.delay *= took[live]
            campaign.kill(victim, trigger, live)
    for i in range(double):
        stage = ["a:out/go", "b:in/committed"][i % 2]
        campaign.kill_both(Trigger(rng.uniform(0, 0.005), stage),
                           rng.random() < 0.5, rng.uniform(0, 3))
    if outage:
        stage = rng.choice(["a:out/go", "b:in/committed"])
        campaign.kill(campaign.b, Trigger(0.0, stage), rng.random() < 0.5,
                      stay_down=True)
    conclude(campaign, capsys)


def kill_pair(two_hosts: Callable[..., TwoHosts]) -> TwoHosts:
    return pair(two_hosts, **{"sim-stream-rate": STREAM_RATE})


@pytest.mark.faults
def test_kill_receiver_campaign(two_hosts, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    rng, title = rng_for("kill -9 of the receiving xend")
    campaign = Campaign(kill_pair(two_hosts), tmp_path, title, KILL_MEMORY)
    kill_all(campaign, rng, ["b"], KILLS, outage=True, capsys=capsys)


@pytest.mark.faults
def test_kill_sender_campaign(two_hosts, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    rng, title = rng_for("kill -9 of the sending xend")
    campaign = Campaign(kill_pair(two_hosts), tmp_path, title, KILL_MEMORY)
    kill_all(campaign, rng, ["a"], KILLS, double=2, capsys=capsys)


def test_kill_sample(two_hosts, tmp_path: Path) -> None:
    """Two kills of each xend, on one pair."""
    rng, title = rng_for("kill sample")
    campaign = Campaign(kill_pair(two_hosts), tmp_path, title,
                        KILL_MEMORY // 2)
    kill_all(campaign, rng, ["b", "a"], 2)


# -- 4. refusals ---------------------------------------------------------------

def test_destination_short_of_memory_and_name_clash(two_hosts) -> None:
    hosts = two_hosts(a=relocation_keys("a"),
                      b={**relocation_keys("b"), "sim-host-memory": 1280})
    a, b = hosts.a, hosts.b
    a.create(NAME, memory=128)
    a.create("big", memory=512)                 # b has 256 MiB free
    clash = b.create(NAME, memory=64)           # another domain, same name
    for dom, why in ((NAME, f"VM name '{NAME}' already exists"),
                     ("big", "not enough memory for big")):
        res = xm_in(a, "migrate", "-l", dom, b.ip)
        print(f"migrate {dom}: rc={res.rc} {error_line(res)!r}")
        assert res.rc == 1 and error_line(res).startswith("Error: ")
        assert why in res.err and len(res.err.strip().splitlines()) == 1
        mem = 128 if dom == NAME else 512
        expect = Expect(dom, mem, uuid_of(a, dom), a, b)
        if dom == NAME:
            b.ok("rename", NAME, "other")       # out of the invariant's way
        problems, at = violations(expect, res)
        assert (problems, at) == ([], "a")
        if dom == NAME:
            other = b.domain("other")
            assert other is not None and other.id == clash.id
            b.ok("rename", "other", NAME)
