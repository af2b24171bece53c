"""xm's client-side parsing of CPU ranges and config values is bounded:
an absurd range or count is refused or clipped, never expanded first; and
``-n --json`` expands ``cpus`` 'all' with the host's CPU count."""

from __future__ import annotations

import json
from pathlib import Path

from tests.memlimit import run_limited
from xend.errors import ConnectionFailed
from xend.limits import CPU_LIMIT

BASE = 'name = "lim"\nkernel = "/boot/vmlinuz"\nmemory = 128\n'


def test_absurd_config_and_pin_values_without_ballooning(
        tmp_path: Path) -> None:
    huge_cpus = tmp_path / "cpus.cfg"
    huge_cpus.write_text(BASE + 'vcpus = 2\ncpus = "0-100000000"\n')
    huge_vcpus = tmp_path / "vcpus.cfg"
    huge_vcpus.write_text(BASE + "vcpus = 10**8\n")
    out = run_limited(f'''
        import io
        from tests.xm.conftest import FakeXend, record
        from xm.context import XmContext
        from xm.main import main
        fake = FakeXend([record("guest1", 7)])
        def xm(*args):
            out, err = io.StringIO(), io.StringIO()
            ctx = XmContext(client_factory=lambda: fake, stdout=out,
                            stderr=err)
            status = main(list(args), context=ctx)
            return status, out.getvalue().count("\\n"), err.getvalue().strip()
        tried("create -n cpus='0-100000000'",
              lambda: xm("create", "-n", {str(huge_cpus)!r}))
        tried("create -n vcpus=10**8",
              lambda: xm("create", "-n", {str(huge_vcpus)!r}))
        tried("vcpu-pin 0-99999999999",
              lambda: xm("vcpu-pin", "guest1", "0", "0-99999999999"))
        print("vcpu-pin sent", repr(fake.calls[-1][1][2]))
    ''')
    assert "MemoryError" not in out
    assert "create -n cpus='0-100000000': accepted: (0," in out
    assert "create -n vcpus=10**8: accepted: (1, 0, 'Error: Invalid value " \
        "for vcpus: 100000000 (must be between 1 and 512)')" in out
    assert "vcpu-pin 0-99999999999: accepted: (0, 0, '')" in out
    assert f"vcpu-pin sent '0-{CPU_LIMIT - 1}'" in out


def test_dry_run_json_expands_all_with_the_host_cpu_count(
        xm, fake, tmp_path: Path) -> None:
    path = tmp_path / "all.cfg"
    path.write_text(BASE + 'vcpus = 2\ncpus = ["all", "1"]\n')
    fake.answers["xend.node.info"] = [["host", "h"], ["nr_cpus", 4]]
    r = xm("create", "-n", "--json", str(path))
    assert r.status == 0, r.err
    doc = json.loads(r.out)
    assert doc["b_info"]["vcpu_hard_affinity"] == [[0, 1, 2, 3], [1]]
    assert fake.methods() == ["xend.node.info"]
    r = xm("create", "-n", str(path))           # SXP: nothing asked
    assert r.status == 0, r.err
    assert fake.methods() == ["xend.node.info"]


def test_dry_run_json_with_all_and_no_xend(xm, fake, tmp_path: Path) -> None:
    path = tmp_path / "all.cfg"
    path.write_text(BASE + 'cpus = "all"\n')
    fake.answers["xend.node.info"] = ConnectionFailed(
        "Unable to connect to xend")
    r = xm("create", "-n", "--json", str(path))
    assert r.status == 1
    assert r.err.endswith("\nError: cpus 'all' needs the host CPU count, "
                          "and xend cannot tell it: Unable to connect to "
                          "xend\n")
