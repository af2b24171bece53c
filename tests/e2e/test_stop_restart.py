"""shutdown / reboot / reset with their on_* policies, and sysrq."""

import time

from tests.e2e.conftest import XendEnv, basic_config


def test_shutdown_wait(xend_env: XendEnv):
    xend_env.write_config("s1", basic_config("s1"))
    xend_env.ok("create", "s1")
    out = xend_env.ok("shutdown", "-w", "s1")
    assert "Domain s1 terminated" in out
    assert "All domains terminated" in out
    assert "s1" not in xend_env.domids()


def test_shutdown_all_wait(xend_env: XendEnv):
    for name in ("a1", "a2"):
        xend_env.write_config(name, basic_config(name))
        xend_env.ok("create", name)
    xend_env.ok("shutdown", "-a", "-w")
    assert set(xend_env.domids()) == {"Domain-0"}


def test_reboot_wait_restarts(xend_env: XendEnv):
    xend_env.write_config("rb", basic_config("rb"))
    xend_env.ok("create", "rb")
    old = xend_env.domids()["rb"]
    out = xend_env.ok("reboot", "-w", "rb")
    assert "Domain rb rebooted" in out
    new = xend_env.domids()["rb"]
    assert new and new != old


def test_on_poweroff_restart_and_preserve(xend_env: XendEnv):
    xend_env.write_config("p1", basic_config("p1", on_poweroff="restart"))
    xend_env.ok("create", "p1")
    old = xend_env.domids()["p1"]
    xend_env.ok("shutdown", "p1")
    xend_env.wait_for(lambda: xend_env.domids().get("p1") not in (None, old))
    xend_env.write_config("p2", basic_config("p2", on_poweroff="preserve"))
    xend_env.ok("create", "p2")
    xend_env.ok("shutdown", "p2")
    xend_env.wait_for(
        lambda: "---s--" in xend_env.ok("list", "p2"))


def test_halt_never_restarts(xend_env: XendEnv):
    xend_env.write_config("h1", basic_config("h1", on_poweroff="restart"))
    xend_env.ok("create", "h1")
    xend_env.ok("shutdown", "-H", "-w", "h1")
    assert "h1" not in xend_env.domids()
    res = xend_env.xm("shutdown", "-H", "-R", "x")
    assert res.rc == 1


def test_reset_and_sysrq(xend_env: XendEnv):
    xend_env.write_config("rs", basic_config("rs"))
    xend_env.ok("create", "rs")
    old = xend_env.domids()["rs"]
    xend_env.ok("reset", "rs")
    assert xend_env.domids()["rs"] != old
    xend_env.ok("sysrq", "rs", "s")


def test_shutdown_wait_returns_for_a_preserved_domain(xend_env: XendEnv):
    """xendomains stop hung here: the domain stays listed, shut down."""
    xend_env.write_config("kp", basic_config("kp", on_poweroff="preserve"))
    xend_env.ok("create", "kp")
    started = time.monotonic()
    res = xend_env.xm("shutdown", "-w", "kp", timeout=20)
    took = time.monotonic() - started
    print(f"shutdown -w of a preserved domain: exit {res.rc} in {took:.1f} s")
    assert res.rc == 0, res.err
    assert res.out.endswith("Domain kp terminated\nAll domains terminated\n")
    assert took < 10
    row = xend_env.ok("list", "kp").splitlines()[1]
    assert row[59:69].strip() == "---s--"       # kept, as configured


def test_shutdown_all_wait_passes_over_stopped_domains(xend_env: XendEnv):
    """--all --wait with a preserved and a paused domain listed: both are
    left alone (4.4 asked and waited for running domains only)."""
    xend_env.write_config("kp", basic_config("kp", on_poweroff="preserve"))
    xend_env.ok("create", "kp")
    xend_env.ok("shutdown", "-w", "kp")
    xend_env.write_config("pz", basic_config("pz"))
    xend_env.ok("create", "-p", "pz")
    xend_env.write_config("r1", basic_config("r1"))
    xend_env.ok("create", "r1")
    started = time.monotonic()
    res = xend_env.xm("shutdown", "--all", "--wait", timeout=20)
    took = time.monotonic() - started
    print(f"shutdown --all --wait: exit {res.rc} in {took:.1f} s, "
          f"out {res.out!r}")
    assert res.rc == 0, res.err
    assert res.out == "Domain r1 terminated\nAll domains terminated\n"
    assert took < 10
    xend_env.wait_for(lambda: "r1" not in xend_env.domids())
    assert {"kp", "pz"} <= set(xend_env.domids())
