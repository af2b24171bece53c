"""A private xend on the simulator for the benchmarks (state in BASE)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def compile_tree(tree: Path) -> None:
    """Byte-compile the code under test once, as an installed package is:
    with PYTHONDONTWRITEBYTECODE set, every run would compile it again."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "xm", "xend",
                    "xenstore"], cwd=tree, check=True,
                   stdout=subprocess.DEVNULL)


def start_xend(base: Path, tree: Path, host_memory_kb: int = 262144) -> dict[str, str]:
    """Start xend with its files in ``base`` running ``tree``'s code; the
    environment for xm (XEND_CONFIG, XM_SERVER) is returned."""
    base.mkdir(exist_ok=True)
    config = base / "xend-config.sxp"
    config.write_text(
        "(hypervisor sim)\n"
        f"(xend-rpc-socket {base}/xend.sock)\n"
        f"(xend-pid-file {base}/xend.pid)\n"
        f"(xend-domains-path {base}/domains)\n"
        f"(xend-state-path {base}/state)\n"
        f"(logfile {base}/xend.log)\n(loglevel WARNING)\n"
        f"(sim-host-memory {host_memory_kb})\n(sim-host-cpus 16)\n")
    env = dict(os.environ, XEND_CONFIG=str(config),
               XM_SERVER=f"unix://{base}/xend.sock", PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-m", "xend", "start"], env=env,
                   check=True, cwd=tree)
    return env
