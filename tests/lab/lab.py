#!/usr/bin/env python3
"""Entry point of the Xen lab (what `make lab` runs).

  lab.py run     build/reuse the dom0 image, boot Xen + dom0 under QEMU, let
                 dom0 install the project and run the lab suite, write the
                 JSON report ($LAB_REPORT, default lab-report.json in the
                 checkout) and exit non-zero unless every scenario passed.
  lab.py shell   boot the same VM with the serial console on this terminal
                 and no autorun: a root shell in dom0 for debugging.
  lab.py image   only build (or find) the cached image and print its path.
  lab.py qemu-cmd  print the QEMU command line of a debug boot (for running
                 or tweaking QEMU by hand).

Environment: LAB_CACHE (default /var/cache/xend-lab), LAB_REPORT,
LAB_TIMEOUT (whole run, default 3000 s), LAB_PROJECT (checkout to test),
LAB_PYTEST_ARGS (extra pytest arguments in dom0, whitespace-split, e.g.
"-k mem_set").  See tests/lab/README.md.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent / "harness"))

import image as lab_image  # noqa: E402
import qemu  # noqa: E402
import report as lab_report  # noqa: E402

LAB_DIR = Path(__file__).resolve().parent
# The checkout dom0 installs and tests; LAB_PROJECT points the lab at another
# tree (e.g. a worktree) without copying the harness around.
PROJECT_DIR = Path(os.environ.get("LAB_PROJECT", LAB_DIR.parent.parent)).resolve()
HOST_TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "debootstrap": "debootstrap",
              "mkfs.ext4": "e2fsprogs", "chroot": "coreutils"}
KEEP_RUNS = 5


def lock_cache() -> int:
    """Serialises lab runs on this machine (shared cache; two TCG VMs on two
    cores would also double each other's timings).  Held until exit."""
    cache = lab_image.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    fd = os.open(cache / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"lab: another lab run holds {cache / 'lock'}; waiting", flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def check_host() -> list[str]:
    problems = []
    if os.geteuid() != 0:
        problems.append("the lab needs root (debootstrap/chroot for the image)")
    missing = sorted({pkg for tool, pkg in HOST_TOOLS.items() if not shutil.which(tool)})
    if missing:
        problems.append("missing host packages; run: apt-get install --no-install-recommends "
                        + " ".join(missing))
    return problems


def vm_spec(img: lab_image.Image, serial_log: Path | None, labout: Path,
            autorun: bool) -> qemu.VmSpec:
    return qemu.VmSpec(
        xen=img.path("xen.elf"), dom0_kernel=img.path("vmlinuz"),
        dom0_initrd=img.path("initrd.img"), disk=img.path("dom0.img"),
        serial_log=serial_log, autorun=autorun,
        shares=[qemu.Share("project", PROJECT_DIR), qemu.Share("labout", labout)])


def new_run_dir(cache: Path) -> Path:
    runs = cache / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for old in sorted(runs.iterdir())[:-(KEEP_RUNS - 1)]:
        shutil.rmtree(old, ignore_errors=True)
    run_dir = runs / (datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + f"-{os.getpid()}")
    (run_dir / "labout").mkdir(parents=True)
    return run_dir


class RunnerTail:
    """Echoes dom0's runner.log as it grows (the share is live) and notes when
    it first appears, i.e. when dom0 finished booting."""

    def __init__(self, path: Path, t0: float) -> None:
        self.path, self.t0 = path, t0
        self.offset = 0
        self.first_seen: float | None = None

    def __call__(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        if self.first_seen is None:
            self.first_seen = time.monotonic() - self.t0
            print(f"lab: dom0 up, runner started after {self.first_seen:.0f}s", flush=True)
        end = data.rfind(b"\n") + 1          # whole lines only
        for line in data[:end].decode(errors="replace").splitlines():
            print(f"dom0| {line}", flush=True)
        self.offset += end


def copy_logs(run_dir: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(run_dir / "labout", dest)
    if (run_dir / "serial.log").exists():
        shutil.copy(run_dir / "serial.log", dest / "serial.log")
    # Self-ignoring directory: keeps the checkout clean without touching the
    # project's .gitignore.
    (dest / ".gitignore").write_text("*\n")


def cmd_run(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    deadline = t0 + float(os.environ.get("LAB_TIMEOUT", "3000"))
    report_path = Path(os.environ.get("LAB_REPORT", PROJECT_DIR / "lab-report.json")).resolve()
    logs_dir = report_path.parent / "lab-logs"
    errors = check_host()
    info: dict[str, Any] = {"timings": {}, "logs": str(logs_dir)}
    if errors:
        return finish(report_path, info, errors, None, logs_dir)

    cache = lab_image.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    try:
        img = lab_image.ensure_image(cache / "image-build.log")
    except Exception as e:  # noqa: BLE001 - any failure becomes a report error
        return finish(report_path, info, [str(e)], None, logs_dir)
    except KeyboardInterrupt:
        return finish(report_path, info, ["interrupted (SIGINT/SIGTERM) during the image "
                                          "build; build stopped"], None, logs_dir)
    info["image"] = str(img.directory)
    info["image_built"] = img.built_now
    if img.build_seconds is not None:
        info["timings"]["image_build_s"] = round(img.build_seconds, 1)
    print(f"lab: image {img.directory} ({'built' if img.built_now else 'cached'})", flush=True)

    run_dir = new_run_dir(cache)
    serial = run_dir / "serial.log"
    latest = cache / "serial.log"
    latest.unlink(missing_ok=True)
    latest.symlink_to(serial)
    info["serial_log"] = str(serial)
    spec = vm_spec(img, serial, run_dir / "labout", autorun=True)
    # dom0 reads this from the results share (no image change needed).
    (run_dir / "labout" / "pytest-args").write_text(os.environ.get("LAB_PYTEST_ARGS", "") + "\n")
    budget = deadline - time.monotonic()
    print(f"lab: booting Xen + dom0 under QEMU/TCG (serial: {serial}; "
          f"timeout {budget:.0f}s)", flush=True)
    t_vm = time.monotonic()
    tail = RunnerTail(run_dir / "labout" / "runner.log", t_vm)
    vm_errors = []
    try:
        vm = qemu.run(spec, timeout_s=budget, poll=tail,
                      finished=(run_dir / "labout" / "status.json").exists)
    except KeyboardInterrupt:       # Ctrl-C / SIGTERM: QEMU is already gone
        vm = qemu.VmResult(None, time.monotonic() - t_vm, False)
        vm_errors.append("interrupted (SIGINT/SIGTERM); QEMU killed")
    info["timings"]["vm_s"] = round(vm.seconds, 1)
    if tail.first_seen is not None:
        info["timings"]["boot_to_runner_s"] = round(tail.first_seen, 1)
    if vm_errors:
        pass
    elif vm.hung_after_done:
        vm_errors.append("dom0 finished but did not power off (its init may have crashed: "
                         "see serial.log); QEMU killed")
    elif vm.timed_out:
        vm_errors.append(f"lab timed out after {time.monotonic() - t0:.0f}s; QEMU killed")
    elif vm.exit_code != 0:
        vm_errors.append(f"QEMU exited with {vm.exit_code}")
    if tail.first_seen is None:
        vm_errors.append(f"dom0 never started the runner; see {serial}")
    info["timings"]["total_s"] = round(time.monotonic() - t0, 1)
    return finish(report_path, info, vm_errors, run_dir, logs_dir)


def finish(report_path: Path, info: dict[str, Any], errors: list[str], run_dir: Path | None,
           logs_dir: Path) -> int:
    outdir = run_dir / "labout" if run_dir else Path("/nonexistent")
    if run_dir:
        copy_logs(run_dir, logs_dir)
    rep = lab_report.build(outdir, errors, info)
    lab_report.write(rep, report_path)
    print(f"\nlab: Xen {rep['xen_version']}; report {report_path}; logs {logs_dir}")
    for s in rep["scenarios"]:
        print(f"  {s['result']:5}  {s['seconds']:7.1f}s  {s['name']}")
    for e in rep["lab"]["errors"]:
        print(f"lab: ERROR: {e}")
    print(f"lab: {'PASS' if rep['lab']['ok'] else 'FAIL'}", flush=True)
    return 0 if rep["lab"]["ok"] else 1


def cmd_shell(args: argparse.Namespace) -> int:
    problems = check_host()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    cache = lab_image.cache_dir()
    img = lab_image.ensure_image(cache / "image-build.log")
    run_dir = new_run_dir(cache)
    print(f"lab shell: log in as root (no password) on hvc0 once dom0 is up.\n"
          f"  xen-lab-mount                    # project -> /mnt/project, results -> /mnt/labout\n"
          f"  sh /mnt/project/tests/lab/dom0/runner.sh /mnt/project /mnt/labout\n"
          f"  Ctrl-a x quits QEMU; Ctrl-a c toggles the QEMU monitor; "
          f"3x Ctrl-a switches Xen/dom0 console\n"
          f"  results share on the host: {run_dir / 'labout'}", flush=True)
    return qemu.run_interactive(vm_spec(img, None, run_dir / "labout", autorun=False))


def cmd_image(args: argparse.Namespace) -> int:
    problems = check_host()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    img = lab_image.ensure_image(lab_image.cache_dir() / "image-build.log")
    print(img.directory)
    return 0


def cmd_qemu_cmd(args: argparse.Namespace) -> int:
    import shlex
    img = lab_image.ensure_image(lab_image.cache_dir() / "image-build.log")
    labout = lab_image.cache_dir() / "runs" / "manual" / "labout"
    labout.mkdir(parents=True, exist_ok=True)
    print(shlex.join(qemu.command(vm_spec(img, None, labout, autorun=False))))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    sub.add_parser("run", help="run the lab end to end (default)")
    sub.add_parser("shell", help="boot dom0 with an interactive serial console")
    sub.add_parser("image", help="build or find the cached image")
    sub.add_parser("qemu-cmd", help="print the QEMU command line of a debug boot")
    args = ap.parse_args()
    if os.geteuid() == 0:       # else check_host() reports it
        lock_cache()
    commands: dict[str | None, Callable[[argparse.Namespace], int]] = {
        "run": cmd_run, "shell": cmd_shell, "image": cmd_image,
        "qemu-cmd": cmd_qemu_cmd, None: cmd_run}
    return commands[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
