"""The xendomains init script (etc/xendomains) against xend on the simulator.

The script runs as it does at boot and shutdown, with its configuration in a
file named by ``XENDOMAINS_CONFIG`` and ``XM`` set to this checkout's xm:
start restores saved images and creates the auto domains (memory-aware, by
priority), stop migrates, saves or shuts down each domain under a watchdog,
status answers with LSB exit codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import ROOT, XendEnv, basic_config
from tests.e2e.test_migrate import relocating, rows

SCRIPT = ROOT / "etc" / "xendomains"

DEFAULTS = {
    "XENDOMAINS_RESTORE": "true",
    "XENDOMAINS_MIGRATE": "",
    "XENDOMAINS_SHUTDOWN": "--wait",
    "XENDOMAINS_SHUTDOWN_ALL": "--all --wait",
    "XENDOMAINS_AUTO_ONLY": "false",
    "XENDOMAINS_SYSRQ": "",
    "XENDOMAINS_USLEEP": "0",
    "XENDOMAINS_CREATE_USLEEP": "0",
    "XENDOMAINS_STOP_MAXWAIT": "60",
}


class Service:
    """One host's xendomains: its auto and save directories and config."""

    def __init__(self, env: XendEnv, **settings: str) -> None:
        self.env = env
        self.auto = env.base / "auto"
        self.save = env.base / "save"
        self.auto.mkdir(exist_ok=True)
        values = dict(DEFAULTS, XENDOMAINS_AUTO=str(self.auto),
                      XENDOMAINS_SAVE=str(self.save))
        values.update(settings)
        self.config = env.base / "xendomains.conf"
        self.config.write_text("".join(f'{k}="{v}"\n'
                                       for k, v in values.items()))

    def auto_domain(self, name: str, memory: int = 64,
                    priority: int | None = None) -> Path:
        text = basic_config(name, memory)
        if priority is not None:
            text = f"# xendomains-priority: {priority}\n" + text
        path = self.env.write_config(f"{name}.cfg", text)
        (self.auto / name).symlink_to(path)
        return path

    def run(self, action: str, timeout: float = 60) -> tuple[int, str]:
        env = dict(self.env.env, XENDOMAINS_CONFIG=str(self.config),
                   XM=f"{sys.executable} -m xm")
        proc = subprocess.run(["bash", str(SCRIPT), action], env=env,
                              cwd=self.env.base, capture_output=True,
                              text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        out = proc.stdout + proc.stderr
        print(f"xendomains {action}: rc={proc.returncode}\n{out}")
        return proc.returncode, out


def lines_of(out: str, name: str) -> list[str]:
    return [ln.strip() for ln in out.splitlines()
            if ln.strip().startswith(name + ":")]


def line_of(out: str, name: str) -> str:
    found = lines_of(out, name)
    assert len(found) == 1, out
    return found[0]


def saved_image(env: XendEnv, service: Service, name: str) -> Path:
    env.write_config(name, basic_config(name, 64))
    env.ok("create", name)
    service.save.mkdir(exist_ok=True)
    image = service.save / name
    env.ok("save", name, str(image))
    return image


def test_start_restores_images_then_creates_the_auto_domains(
        xend_env: XendEnv) -> None:
    svc = Service(xend_env)
    image = saved_image(xend_env, svc, "back")
    (svc.save / "junk").write_text("not an image\n")
    for name in ("a1", "a2", "back"):
        svc.auto_domain(name)
    svc.auto_domain("up")
    xend_env.ok("create", str(xend_env.base / "up.cfg"))
    rc, out = svc.run("start")
    assert rc == 0, out
    assert lines_of(out, "back") == [f"back: restored from {image}",
                                     "back: already running"]
    assert not image.exists()
    assert "junk: not restored: " in out and (svc.save / "junk").exists()
    assert line_of(out, "a1").startswith("a1: started (66 MiB")
    assert line_of(out, "a2").startswith("a2: started")
    assert line_of(out, "up") == "up: already running"
    assert set(rows(xend_env)) == {"a1", "a2", "back", "up"}
    (svc.save / "junk").unlink()
    rc, out = svc.run("status")
    assert rc == 0 and "all 4 auto domains running" in out


def test_stop_saves_and_start_brings_them_back(xend_env: XendEnv) -> None:
    svc = Service(xend_env, XENDOMAINS_SHUTDOWN_ALL="")
    for name in ("s1", "s2"):
        svc.auto_domain(name)
    xend_env.write_config("other", basic_config("other", 64))
    xend_env.ok("create", "other")               # not an auto domain
    assert svc.run("start")[0] == 0
    uuid = xend_env.ok("list", "-l", "s1").split("(uuid ")[1].split(")")[0]
    rc, out = svc.run("stop")
    assert rc == 0, out
    for name in ("s1", "s2", "other"):
        assert line_of(out, name) == f"{name}: saved to {svc.save / name}"
        assert (svc.save / name).read_bytes()[:16] == b"LinuxGuestRecord"
    assert rows(xend_env) == {}
    rc, out = svc.run("status")
    assert rc == 3
    assert "s1: auto domain not running" in out
    assert f"other: saved image not restored: {svc.save / 'other'}" in out
    rc, out = svc.run("start")
    assert rc == 0, out
    assert line_of(out, "other").startswith("other: restored from")
    assert set(rows(xend_env)) == {"s1", "s2", "other"}
    assert xend_env.ok("list", "-l", "s1").count(uuid) == 1   # same domain
    assert list(svc.save.iterdir()) == []


def test_stop_shuts_down_without_a_save_directory(xend_env: XendEnv) -> None:
    svc = Service(xend_env, XENDOMAINS_SAVE="", XENDOMAINS_AUTO_ONLY="true",
                  XENDOMAINS_SYSRQ="s")
    svc.auto_domain("d1")
    svc.auto_domain("d2", priority=3)
    xend_env.write_config("manual", basic_config("manual", 64))
    xend_env.ok("create", "manual")
    assert svc.run("start")[0] == 0
    rc, out = svc.run("stop")
    assert rc == 0, out
    assert line_of(out, "d1") == "d1: sysrq s; shut down"
    assert line_of(out, "d2") == "d2: sysrq s; shut down"
    assert out.index("d1: ") < out.index("d2: ")     # lowest priority first
    assert "manual" not in out                       # AUTO_ONLY
    assert set(rows(xend_env)) == {"manual"}
    assert not svc.save.exists()
    rc, out = svc.run("restart")                  # stop (nothing), start
    assert rc == 0 and "(no domains to stop)" in out
    assert set(rows(xend_env)) == {"manual", "d1", "d2"}


def test_stop_migrates_to_another_host(make_env) -> None:
    a, _ = relocating(make_env, "127.0.0.1")
    b, pb = relocating(make_env, "127.0.0.2")
    target = f"-l -p {pb} 127.0.0.2"
    svc = Service(a, XENDOMAINS_MIGRATE=target)
    for name in ("m1", "m2"):
        svc.auto_domain(name)
    assert svc.run("start")[0] == 0
    rc, out = svc.run("stop")
    assert rc == 0, out
    assert line_of(out, "m1") == f"m1: migrated ({target})"
    assert rows(a) == {} and set(rows(b)) == {"m1", "m2"}
    assert not svc.save.exists()


def test_a_failed_migration_falls_back_to_save(make_env) -> None:
    a, _ = relocating(make_env, "127.0.0.1")
    svc = Service(a, XENDOMAINS_MIGRATE="-p 1 127.0.0.2")   # nobody there
    svc.auto_domain("f1")
    assert svc.run("start")[0] == 0
    rc, out = svc.run("stop")
    assert rc == 0, out
    line = line_of(out, "f1")
    assert line.startswith("f1: migrate failed: Error: cannot connect")
    assert line.endswith(f"; saved to {svc.save / 'f1'}")


def test_a_domain_that_ignores_shutdown_hits_the_watchdog(make_env) -> None:
    env = make_env(sim_ignore_shutdown="deaf")
    env.start()
    svc = Service(env, XENDOMAINS_SAVE="", XENDOMAINS_STOP_MAXWAIT="2")
    svc.auto_domain("deaf")
    svc.auto_domain("fine")
    assert svc.run("start")[0] == 0
    began = time.monotonic()
    rc, out = svc.run("stop")
    took = time.monotonic() - began
    assert rc == 1, out
    assert line_of(out, "deaf") == \
        "deaf: shutdown killed after 2 s; still running"
    assert line_of(out, "fine") == "fine: shut down"
    assert "shutdown --all" not in out           # not asked a second time
    assert took < 15, took
    assert set(rows(env)) == {"deaf"}
    env.ok("destroy", "deaf")


def test_start_never_starts_more_than_fits(make_env) -> None:
    env = make_env(sim_host_memory=2048)         # dom0 1024: ~960 free
    env.start()
    svc = Service(env)
    svc.auto_domain("first", 512, priority=10)
    svc.auto_domain("big", 600, priority=5)
    for name in ("small1", "small2"):
        svc.auto_domain(name, 128)
    rc, out = svc.run("start")
    assert rc == 1, out
    assert line_of(out, "first") == "first: started (514 MiB, priority 10)"
    assert line_of(out, "big").startswith(
        "big: not started: needs 602 MiB, ")
    assert line_of(out, "small1").startswith("small1: started")
    assert line_of(out, "small2").startswith("small2: started")
    assert out.index("first:") < out.index("big:") < out.index("small1:")
    assert set(rows(env)) == {"first", "small1", "small2"}
    rc, out = svc.run("status")
    assert rc == 3 and "big: auto domain not running" in out


def test_status_codes_without_xend_or_config(tmp_path: Path) -> None:
    env = XendEnv(tmp_path)                      # never started
    svc = Service(env)
    rc, out = svc.run("status")
    assert rc == 4 and "cannot reach xend" in out
    rc, out = svc.run("start")
    assert rc == 1 and "cannot reach xend" in out
    os.unlink(svc.config)
    assert svc.run("status")[0] == 6
    assert svc.run("stop")[0] == 0
    assert svc.run("bogus")[0] == 2
