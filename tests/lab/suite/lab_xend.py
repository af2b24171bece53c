"""The xend the xm scenarios talk to: the real daemon, libxl backend, in dom0.

The project is installed (pip install -e) into /opt/xend-lab/venv, whose bin/
is first on PATH, so `xend` and `xm` are the project's console scripts.  The
`xend` fixture (one xend per run: guests outlive a test, and
xend-kill-restart restarts it in place) writes an xend-config.sxp into a
temporary directory -- `(hypervisor libxl)`, the host's oxenstored, socket,
pid file and state beside it, the log in $LAB_OUT/xend/ -- exports
XEND_CONFIG and XM_SERVER to every xend/xm it runs, and starts it with
`xend start`.  The compiled libxl binding is found through
XEND_LIBXL_CFFI, which runner.sh exports to the suite and so to xend.  At the end `xend stop`; the host harness copies
$LAB_OUT to lab-logs/ (xend/xend.log, xend/xend-config.sxp).

Scenarios use it like:

    @pytest.mark.lab
    @pytest.mark.scenario("mem-set")
    def test_mem_set(xend: XendProcess) -> None:
        g = LabGuest("lab-xm-mem"); g.write_config(); g.mark_console()
        xend.xm("create", str(g.config_path))
        g.wait_for_marker("^READY")
        xend.xm("mem-set", g.name, "96")
        ...

LAB_XEND_START / LAB_XEND_STOP in dom0's environment replace the start and
stop commands (experiments from a debug shell).
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

XEND_START: str | None = os.environ.get("LAB_XEND_START", "xend start")
XEND_STOP: str = os.environ.get("LAB_XEND_STOP", "xend stop")
READY_PROBE = "xm list"          # succeeds once xend answers
READY_TIMEOUT_S = 60
HOST_XENSTORED = "/run/xenstored/socket"     # dom0's oxenstored
RELOCATION_PORT = 8002


@dataclass
class XendProcess:
    start_cmd: str
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="xend-lab-")))

    def __post_init__(self) -> None:
        self.socket = self.base / "run" / "xend.sock"
        self.pid_file = self.base / "run" / "xend.pid"
        # Straight into the results share when there is one: the host can
        # follow it while the run goes on.
        out = os.environ.get("LAB_OUT")
        self.logfile = (Path(out) / "xend" if out else self.base / "log") / "xend.log"
        self.config = self.base / "xend-config.sxp"
        keys = {
            "hypervisor": "libxl",
            "xend-rpc-socket": self.socket,
            "xend-pid-file": self.pid_file,
            "xend-domains-path": self.base / "domains",
            "xend-state-path": self.base / "state",
            "logfile": self.logfile,
            "loglevel": "DEBUG",
            "xenstored-socket": HOST_XENSTORED,
            # Localhost migration (tests/lab/suite/test_xm_migrate.py).
            "xend-relocation-server": "yes",
            "xend-relocation-address": "127.0.0.1",
            "xend-relocation-port": RELOCATION_PORT,
            "xend-relocation-hosts-allow": "'^127\\.0\\.0\\.1$ ^localhost'",
        }
        self.config.write_text("".join(f"({k} {v})\n" for k, v in keys.items()))
        self.env = dict(os.environ)
        self.env.update({"XEND_CONFIG": str(self.config), "XM_SERVER": f"unix://{self.socket}"})
        self.env.pop("PYTEST_CURRENT_TEST", None)

    def run(self, cmd: list[str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env,
                              stdin=subprocess.DEVNULL)

    def xm(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = self.run(["xm", *args], timeout=timeout)
        if check and (proc.returncode != 0 or "Traceback" in proc.stderr):
            raise AssertionError(f"xm {' '.join(args)} -> rc={proc.returncode}\n{proc.stderr}{proc.stdout}")
        return proc

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        proc = self.run(shlex.split(self.start_cmd), timeout=90)
        if proc.returncode != 0:
            raise AssertionError(f"{self.start_cmd} -> rc={proc.returncode}\n{proc.stderr}{proc.stdout}\n"
                                 f"--- xend.log tail\n{self.log_tail()}")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while self.run(shlex.split(READY_PROBE), timeout=30).returncode != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"xend not answering `{READY_PROBE}` after {READY_TIMEOUT_S}s\n"
                                   f"--- xend.log tail\n{self.log_tail()}")
            time.sleep(0.5)

    def stop(self) -> None:
        self.run(shlex.split(XEND_STOP), timeout=90)

    def kill9(self) -> int:
        """SIGKILL the daemon (no clean-up of its own); returns the pid killed."""
        pid = self.pid()
        assert pid is not None, "xend wrote no pid file"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return pid

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def save_logs(self) -> None:
        out = os.environ.get("LAB_OUT")
        if not out:
            return
        dest = Path(out) / "xend"
        dest.mkdir(parents=True, exist_ok=True)
        if self.logfile.parent != dest:
            for f in sorted(self.logfile.parent.glob("xend.log*")):
                shutil.copy(f, dest / f.name)
        shutil.copy(self.config, dest / "xend-config.sxp")


_SESSION: XendProcess | None = None      # one xend for the whole run


@pytest.fixture
def xend(request: pytest.FixtureRequest) -> XendProcess:
    """The run's xend: started for the first scenario that asks, stopped
    (and its log saved) when the run ends, and started again if it died in
    an earlier scenario -- that one failed; its successors should not fail
    for it, and the log says what happened."""
    global _SESSION
    if os.environ.get("LAB_PROJECT_INSTALLED") == "fail":
        pytest.fail("the project did not install in dom0 (see install.log)")
    if not XEND_START:
        pytest.skip("xend libxl backend start command not wired (tests/lab/suite/lab_xend.py)")
    if not os.environ.get("XEND_LIBXL_CFFI"):
        pytest.fail("no libxl binding was built in dom0 (see bindings-build.log)")
    if _SESSION is None:
        proc = _SESSION = XendProcess(XEND_START)

        def finish() -> None:
            proc.stop()
            proc.save_logs()
        request.config.add_cleanup(finish)
        proc.start()
        return proc
    pid = _SESSION.pid()
    if pid is None or not Path(f"/proc/{pid}").exists():
        _SESSION.start()
    return _SESSION
