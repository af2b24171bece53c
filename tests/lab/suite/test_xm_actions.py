"""xend applies each on_poweroff / on_reboot / on_crash action on a real host.

libxl applies none of them: xend does, on the domain-death events of its
libxl backend.  The main story (test_xm_guest.py) covers the usual
destroy-on-poweroff and restart-on-reboot; these are the others, each on a
guest booted for it (shutdown only reaches a guest that finished booting).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

import lab_guest
import lab_xl as xl
from lab_xend import XendProcess
from lab_xm import running, xm_list

pytestmark = pytest.mark.lab


class ActionGuest(lab_guest.LabGuest):
    actions: dict[str, str]

    def config_text(self) -> str:
        text = super().config_text()
        for key, value in self.actions.items():
            text = re.sub(rf'^{key} = .*$', f'{key} = "{value}"', text, flags=re.M)
        return text


def _guest(name: str, **actions: str) -> ActionGuest:
    lab_guest.force_destroy(name)
    g = ActionGuest(name, memory_mb=128, maxmem_mb=128, vcpus=1, vifs=0)
    g.actions = actions
    g.write_config()
    return g


@pytest.fixture
def guests() -> Iterator[list[ActionGuest]]:
    made: list[ActionGuest] = []
    yield made
    for g in made:
        lab_guest.force_destroy(g.name)
        g.remove_files()


def _boot(xend: XendProcess, g: ActionGuest) -> int:
    g.mark_console()
    xend.xm("create", str(g.config_path))
    g.wait_for_marker(r"^READY", timeout=180)
    return running(g.name).domid


@pytest.mark.scenario("shutdown-on_poweroff-restart")
def test_poweroff_restart(xend: XendProcess, guests: list[ActionGuest]) -> None:
    g = _guest("lab-xm-pr", on_poweroff="restart")
    guests.append(g)
    first = _boot(xend, g)
    g.mark_console()
    xend.xm("shutdown", g.name)
    g.wait_for_marker(r"^SHUTDOWN", timeout=120)
    g.wait_for_marker(r"^READY", timeout=180)      # booted again
    assert running(g.name).domid != first
    assert xm_list(xend, g.name)[g.name].domid == running(g.name).domid


@pytest.mark.scenario("shutdown-on_poweroff-preserve")
def test_poweroff_preserve(xend: XendProcess, guests: list[ActionGuest]) -> None:
    g = _guest("lab-xm-pp", on_poweroff="preserve", on_reboot="destroy")
    guests.append(g)
    domid = _boot(xend, g)
    xend.xm("shutdown", g.name)
    # Kept as a shut-down domain ("s"), same id, until destroyed.
    xl.wait_for(lambda: "s" in running(g.name).state, timeout=120, what="domain shut down and kept")
    assert running(g.name).domid == domid
    assert "s" in xm_list(xend, g.name)[g.name].state
    xend.xm("destroy", g.name)
    xl.wait_gone(g.name)


@pytest.mark.scenario("reboot-on_reboot-destroy")
def test_reboot_destroy(xend: XendProcess, guests: list[ActionGuest]) -> None:
    g = _guest("lab-xm-rd", on_reboot="destroy", on_crash="restart")
    guests.append(g)
    _boot(xend, g)
    xend.xm("reboot", g.name)
    xl.wait_gone(g.name, timeout=120)
    assert g.name not in xm_list(xend)


@pytest.mark.scenario("crash-on_crash-preserve")
def test_crash_preserve(xend: XendProcess, guests: list[ActionGuest]) -> None:
    g = _guest("lab-xm-cp", on_crash="preserve")
    # Debian's kernel masks sysrq-c (kernel.sysrq=438 has no "dump" bit),
    # and Linux on Xen reports a panic as a crash only when it restarts
    # after it (panic=N); by default it spins in the panic forever.
    g.extra += " sysrq_always_enabled panic=1"
    g.write_config()
    guests.append(g)
    domid = _boot(xend, g)
    xend.xm("sysrq", g.name, "c")         # the guest kernel panics
    xl.wait_for(lambda: "c" in running(g.name).state, timeout=120, what="domain crashed and kept")
    assert running(g.name).domid == domid
    xend.xm("destroy", g.name)
    xl.wait_gone(g.name)
