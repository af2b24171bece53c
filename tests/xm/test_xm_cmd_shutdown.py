"""xm shutdown / reboot: modes, -a, and the -w waiting loops."""

from __future__ import annotations

import pytest

from tests.xm.conftest import FakeXend, Result, record


def dom0() -> dict:
    return record("Domain-0", 0, managed=False)


@pytest.mark.parametrize("args,mode", [
    (["shutdown", "guest1"], "poweroff"),
    (["shutdown", "-H", "guest1"], "halt"),
    (["shutdown", "guest1", "--halt"], "halt"),
    (["shutdown", "-R", "guest1"], "reboot"),
    (["reboot", "guest1"], "reboot"),
    (["shutdown", "7"], "poweroff"),
])
def test_shutdown_modes(xm, fake, args, mode):
    r = xm(*args)
    assert (r.status, r.out, r.err) == (0, "", "")
    # the domain is resolved to its name first, as 4.4 did
    assert fake.calls == [("xend.domain", (args[-1] if args[-1] != "--halt"
                                           else "guest1",), None),
                          ("xend.domain.shutdown", ("guest1", mode), None)]


def test_halt_and_reboot_conflict(xm, fake):
    r = xm("shutdown", "-H", "-R", "guest1")
    assert (r.status, r.err) == (1, "Error: Can't specify halt and reboot\n")
    assert "xend.domain.shutdown" not in fake.methods()


def test_no_domain(xm, fake):
    r = xm("shutdown")
    assert (r.status, r.err) == (1, "Error: No domain parameter given\n")


def test_unknown_domain_exits_3(xm):
    assert xm("shutdown", "nope").status == 3


def test_all_skips_dom0_and_inactive(xm, fake):
    fake.domains.append(record("alpha", 9))
    assert xm("shutdown", "-a").status == 0
    assert [c for c in fake.calls if c[0] == "xend.domain.shutdown"] == [
        ("xend.domain.shutdown", ("alpha", "poweroff"), None),
        ("xend.domain.shutdown", ("guest1", "poweroff"), None)]


class Disappearing(FakeXend):
    """guest1 stays running for ``polls`` list calls after the shutdown."""

    def __init__(self, polls: int, **kw) -> None:
        super().__init__([dom0(), record("guest1", 7), record("alpha", 9)])
        self.polls = polls
        self.stopped: set[str] = set()

    def call(self, method, *params, fds=None):
        if method == "xend.domain.shutdown":
            self.stopped.add(params[0])
        if method == "xend.domains_with_state" and self.stopped:
            if self.polls == 0:
                self.domains = [r for r in self.domains
                                if r["name"] not in self.stopped]
            self.polls -= 1
        return super().call(method, *params, fds=fds)


def test_wait_polls_once_per_second_until_gone(xm):
    client = Disappearing(polls=2)
    sleeps: list[float] = []
    r: Result = xm("shutdown", "-w", "guest1", client=client,
                   sleep=sleeps.append)
    assert r.status == 0
    assert r.out == "Domain guest1 terminated\nAll domains terminated\n"
    assert r.err == ""                      # no progress when not a tty
    assert sleeps == [1, 1]


def test_wait_all(xm):
    client = Disappearing(polls=0)
    r = xm("shutdown", "--all", "--wait", client=client)
    assert r.out == ("Domain alpha terminated\nDomain guest1 terminated\n"
                     "All domains terminated\n")


def test_wait_shows_progress_on_a_terminal(xm):
    r = xm("shutdown", "-w", "guest1", client=Disappearing(polls=1), tty=True)
    assert r.status == 0
    assert "Domain guest1 terminated\n" in r.out
    assert "Waiting for 1 domain(s) to shut down" in r.err
    assert r.err.endswith("\r")             # the line is erased at the end


class Rebooting(FakeXend):
    def __init__(self, after: int) -> None:
        super().__init__([dom0(), record("guest1", 7)])
        self.after = after
        self.count = 4

    def call(self, method, *params, fds=None):
        if method == "xend.domain.getRestartCount":
            self.calls.append((method, params, fds))
            value = self.count
            self.after -= 1
            if self.after < 0:
                self.count = 5
            return value
        return super().call(method, *params, fds=fds)


def test_reboot_wait_uses_restart_count(xm):
    client = Rebooting(after=2)
    sleeps: list[float] = []
    r = xm("reboot", "-w", "guest1", client=client, sleep=sleeps.append)
    assert r.status == 0
    assert r.out == "Domain guest1 rebooted\nAll domains rebooted\n"
    assert ("xend.domain.shutdown", ("guest1", "reboot"), None) in client.calls
    assert sleeps


def test_reboot_wait_gives_up_after_30_seconds_of_absence(xm, fake):
    fake.answers["xend.domain.getRestartCount"] = 1

    def gone(*params):
        return [r for r in fake.domains if r["name"] != "guest1"]

    sleeps: list[float] = []
    real_call = fake.call

    def call(method, *params, fds=None):
        if method == "xend.domain.shutdown":
            fake.answers["xend.domains_with_state"] = gone
        return real_call(method, *params, fds=fds)

    fake.call = call                        # type: ignore[method-assign]
    r = xm("reboot", "-w", "guest1", sleep=sleeps.append)
    assert r.out == ("Domain guest1 destroyed for failing to reboot\n"
                     "All domains rebooted\n")
    assert len(sleeps) == 31


class StaysListed(FakeXend):
    """After the shutdown request guest1 stays listed, in ``state``."""

    def __init__(self, state: str, power_state: str) -> None:
        super().__init__([dom0(), record("guest1", 7), record("alpha", 9)])
        self.after = (state, power_state)

    def call(self, method, *params, fds=None):
        if method == "xend.domain.shutdown":
            for rec in self.domains:
                if rec["name"] == params[0]:
                    rec["state"], rec["power_state"] = self.after
        return super().call(method, *params, fds=fds)


@pytest.mark.parametrize("state,power_state", [
    ("---s--", "shuttingdown"),     # on_poweroff=preserve
    ("----c-", "crashed"),          # on_crash=preserve
    ("--p---", "paused"),           # 4.4: not in domains(0) either
])
def test_wait_ends_when_the_domain_stays_listed_but_stopped(
        xm, state, power_state):
    client = StaysListed(state, power_state)
    sleeps: list[float] = []
    r = xm("shutdown", "-w", "guest1", client=client, sleep=sleeps.append)
    print(f"guest1 left listed as {state}: exit {r.status}, "
          f"{len(sleeps)} sleeps")
    assert r.status == 0
    assert r.out == "Domain guest1 terminated\nAll domains terminated\n"
    assert sleeps == []
    assert any(r["name"] == "guest1" for r in client.domains)


def test_all_asks_only_running_domains(xm):
    client = StaysListed("---s--", "shuttingdown")
    client.domains.append(record("held", 11, state="--p---",
                                 power_state="paused"))
    client.domains.append(record("kept", 12, state="---s--",
                                 power_state="shuttingdown"))
    r = xm("shutdown", "--all", "--wait", client=client)
    assert (r.status, r.err) == (0, "")
    asked = [c[1][0] for c in client.calls if c[0] == "xend.domain.shutdown"]
    assert asked == ["alpha", "guest1"]
    assert r.out == ("Domain alpha terminated\nDomain guest1 terminated\n"
                     "All domains terminated\n")
