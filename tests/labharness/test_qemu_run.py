"""The lab's QEMU runner (tests/lab/harness/qemu.py), with a stand-in for
QEMU: it never leaves the process behind, and a VM whose dom0 finished its
work but never powers off is killed after the grace period, not left to
the whole run's timeout."""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "lab" / "harness" / "qemu.py"


@pytest.fixture
def qemu(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("lab_qemu_under_test", HARNESS)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, mod)     # dataclasses look it up
    spec.loader.exec_module(mod)
    return mod


def _spec(mod: ModuleType, tmp_path: Path) -> object:
    return mod.VmSpec(xen=tmp_path / "xen", dom0_kernel=tmp_path / "k", dom0_initrd=tmp_path / "i",
                      disk=tmp_path / "d", serial_log=tmp_path / "serial.log")


def _fake_vm(mod: ModuleType, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    monkeypatch.setattr(mod, "command", lambda spec: [sys.executable, "-c",
                                                      f"import time; time.sleep({seconds})"])


def test_exit_code_of_a_vm_that_powers_off(qemu: ModuleType, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_vm(qemu, monkeypatch, 0.2)
    res = qemu.run(_spec(qemu, tmp_path), timeout_s=30, poll_every_s=0.1)
    assert (res.exit_code, res.timed_out, res.hung_after_done) == (0, False, False)


def test_vm_hung_after_its_work_is_killed_after_the_grace(qemu: ModuleType, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_vm(qemu, monkeypatch, 60)
    t = time.monotonic()
    res = qemu.run(_spec(qemu, tmp_path), timeout_s=60, poll_every_s=0.1,
                   finished=lambda: True, grace_s=0.5)
    assert res.hung_after_done and not res.timed_out and res.exit_code is None
    assert time.monotonic() - t < 10


def test_timeout_kills_the_vm(qemu: ModuleType, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_vm(qemu, monkeypatch, 60)
    res = qemu.run(_spec(qemu, tmp_path), timeout_s=0.5, poll_every_s=0.1,
                   finished=lambda: False)
    assert res.timed_out and not res.hung_after_done
