"""Run a snippet in a child Python whose address space is capped.

Memory-safety tests call a function with an absurd value in a child whose
``RLIMIT_AS`` leaves a little room above what the interpreter and xend's
modules take: a refusal that comes *before* anything is built passes, and
one that tries to build the absurd thing first dies of MemoryError there,
never in the test process.  The child prints what it tried and what
happened; the figures come back for the test to assert on and show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Headroom above the child's address space once it has imported xend.
HEADROOM_MIB = 200

_PRELUDE = f'''
import resource, sys
sys.path.insert(0, {str(ROOT)!r})
import xend.domains.manager, xend.hv.sim, xend.hv.libxl, xm.main  # noqa
def _vm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1])
    return 0
_cap = _vm_kib() * 1024 + {HEADROOM_MIB} * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (_cap, _cap))
print(f"address space capped at {{_cap >> 20}} MiB")
def tried(label, fn):
    try:
        result = fn()
    except MemoryError:
        print(f"{{label}}: MemoryError")
        raise
    except Exception as exc:
        print(f"{{label}}: refused: {{type(exc).__name__}}: {{exc}}")
        return exc
    print(f"{{label}}: accepted: {{result!r}}"[:300])
    return result
'''


def run_limited(code: str, timeout: float = 60) -> str:
    """Run *code* (after the prelude: ``tried(label, fn)`` prints what
    happened) under the cap; assert it exits 0; return its output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(code)],
        capture_output=True, text=True, timeout=timeout, env=env,
        cwd=str(ROOT))
    took = time.monotonic() - start
    print(proc.stdout, end="")
    print(f"(child ran {took:.2f} s, exit {proc.returncode})")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout
