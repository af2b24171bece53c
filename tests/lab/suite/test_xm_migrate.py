"""Live migration on real Xen: xm migrate through xend's relocation server
(localhost), and both directions between xend and Xen's own xl, checked by
the guest's heartbeat (it keeps counting: the same guest carried on) and
by xl.  Then the benchmark: xm migrate -l against xl migrate of the same
guest to localhost, total time and downtime (the longest heartbeat gap).

Named to run after the other xm scenarios; one guest throughout."""
from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import lab_bench
import lab_guest
import lab_xl as xl
from lab_beat import Heartbeat
from lab_xend import RELOCATION_PORT, XendProcess
from lab_xm import running, xm_list

pytestmark = pytest.mark.lab

NAME = "lab-mig"
ROUNDS = 3
SSH_OPTS = "-o BatchMode=yes -o StrictHostKeyChecking=accept-new"
LOCAL = "127.0.0.1"          # dom0's /etc/hosts has no "localhost"


@pytest.fixture(scope="module")
def g() -> Iterator[lab_guest.LabGuest]:
    lab_guest.force_destroy(NAME)
    guest = lab_guest.LabGuest(NAME, memory_mb=128, maxmem_mb=128, vcpus=1,
                               extra="console=hvc0 loglevel=4 lab.beat")
    guest.write_config()
    yield guest
    lab_guest.force_destroy(NAME)
    guest.remove_files()


def one_copy() -> xl.Domain:
    """Exactly one domain of the guest's, under its own name, running."""
    names = [n for n in xl.list_domains() if n.startswith(NAME)]
    assert names == [NAME], names
    dom = running(NAME)
    assert not dom.paused
    return dom


def uuid_of(name: str) -> str:
    """The uuid xl reports (`xl list -l`: {"domid", "config": {...}})."""
    return str(xl.long_info(name)["config"]["c_info"]["uuid"])


def ensure_ssh() -> None:
    """Root can ssh to localhost with a key (the lab image has sshd)."""
    ssh = Path("/root/.ssh")
    ssh.mkdir(mode=0o700, exist_ok=True)
    key = ssh / "id_ed25519"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    pub = (ssh / "id_ed25519.pub").read_text()
    auth = ssh / "authorized_keys"
    if pub not in (auth.read_text() if auth.exists() else ""):
        with open(auth, "a") as f:
            f.write(pub)
        auth.chmod(0o600)
    subprocess.run(["systemctl", "start", "ssh"], check=False, capture_output=True)
    probe = subprocess.run(["ssh", *shlex.split(SSH_OPTS), LOCAL, "true"],
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, f"ssh to localhost: {probe.stderr}"


def remote_xm(xend: XendProcess) -> str:
    """The xm command line for a shell that does not have our environment."""
    xm = Path(os.environ.get("VIRTUAL_ENV", "/opt/xend-lab/venv")) / "bin" / "xm"
    return (f"env XEND_CONFIG={xend.config} XM_SERVER=unix://{xend.socket} "
            f"XEND_LIBXL_CFFI={os.environ.get('XEND_LIBXL_CFFI', '')} {xm}")


@pytest.mark.scenario("migrate-localhost")
def test_xm_migrate_localhost(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    g.mark_console()
    xend.xm("create", str(g.config_path))
    g.wait_for_marker(r"^READY", timeout=180)
    before = one_copy()
    uuid = uuid_of(NAME)
    status = xend.run(["xend", "status"]).stdout
    assert f"relocation server listening on 127.0.0.1:{RELOCATION_PORT} (TCP)" in status, status
    g.mark_console()
    with Heartbeat(NAME) as beat:
        n = beat.wait_beyond(0)
        proc = xend.xm("migrate", "-l", NAME, "127.0.0.1", timeout=300)
        assert proc.stdout == "" and proc.stderr == ""
        after = one_copy()
        beat.wait_beyond(beat.last() + 5)
    assert after.domid != before.domid
    assert uuid_of(NAME) == uuid
    assert beat.counted_on(), beat.beats[-40:]
    assert beat.last() > n + 5
    assert not any(m.startswith("BOOTED") for m in g.markers())
    assert xm_list(xend, NAME)[NAME].domid == after.domid


@pytest.mark.scenario("migrate-xend-to-xl")
def test_xm_migrate_to_xl(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    before = one_copy()
    with Heartbeat(NAME) as beat:
        n = beat.wait_beyond(0)
        xend.xm("migrate", "--xl", "-s", "", NAME, "xl migrate-receive", timeout=300)
        after = one_copy()
        beat.wait_beyond(beat.last() + 5)
    assert after.domid != before.domid and beat.counted_on() and beat.last() > n
    # xl owns it now: xend forgot the domain it sent.
    rows = xm_list(xend)
    assert NAME not in rows or rows[NAME].domid == after.domid, rows


@pytest.mark.scenario("migrate-xl-to-xend")
def test_xl_migrate_to_xend(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    before = one_copy()
    with Heartbeat(NAME) as beat:
        n = beat.wait_beyond(0)
        proc = xend.run(["xl", "migrate", "-s", "", NAME, f"{remote_xm(xend)} migrate-receive"],
                        timeout=300)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        after = one_copy()
        beat.wait_beyond(beat.last() + 5)
    assert after.domid != before.domid and beat.counted_on() and beat.last() > n
    # xend owns it: it is in xend's table under its domid, and xm can stop it.
    assert xm_list(xend, NAME)[NAME].domid == after.domid


@pytest.mark.scenario("migrate-ssh-xl-both-ways")
def test_migrate_over_ssh(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    """The runes an admin would type: xend -> xl over ssh with xm's default
    transport, and back with xl's -s ''."""
    ensure_ssh()
    one_copy()
    xend.xm("migrate", "--xl", "-s", f"ssh {SSH_OPTS}", NAME, LOCAL, timeout=300)
    one_copy()
    proc = xend.run(["xl", "migrate", "-s", "", NAME,
                     f"ssh {SSH_OPTS} {LOCAL} {remote_xm(xend)} migrate-receive"], timeout=300)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    dom = one_copy()
    assert xm_list(xend, NAME)[NAME].domid == dom.domid


@pytest.mark.scenario("bench-migrate-xm-vs-xl")
def test_bench_migrate(xend: XendProcess, g: lab_guest.LabGuest) -> None:
    """xm migrate -l (relocation server, TCP) against xl migrate to a local
    xl migrate-receive, the same guest, alternating; total and downtime."""
    one_copy()
    runs = {
        "xm": ["xm", "migrate", "-l", NAME, "127.0.0.1"],
        "xl": ["xl", "migrate", "-s", "", NAME, "xl migrate-receive"],
    }
    figures: dict[str, list[tuple[float, float]]] = {"xm": [], "xl": []}
    for _ in range(ROUNDS):
        for tool, cmd in runs.items():
            with Heartbeat(NAME) as beat:
                beat.wait_beyond(0)
                t0 = time.monotonic()
                proc = xend.run(cmd, timeout=300)
                t1 = time.monotonic()
                assert proc.returncode == 0, f"{tool}: {proc.stderr}{proc.stdout}"
                beat.wait_beyond(beat.last() + 5)
            one_copy()
            down = beat.longest_gap(t0, t1)
            figures[tool].append((t1 - t0, down))
            lab_bench.record(f"{tool} migrate", t1 - t0)
            lab_bench.record(f"{tool} migrate downtime", down)
            if tool == "xl":
                # Back into xend's hands for the next xm round.
                back = xend.run(["xl", "migrate", "-s", "", NAME,
                                 f"{remote_xm(xend)} migrate-receive"], timeout=300)
                assert back.returncode == 0, back.stderr
    for tool, rows in figures.items():
        print(f"{tool} migrate: " + ", ".join(f"{t:.2f}s (down {d:.2f}s)" for t, d in rows))
