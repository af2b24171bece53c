"""A guest kernel and ramdisk for the tests that create PV domains.

The simulator, like libxl, refuses a PV domain booted from a kernel or
ramdisk that is not a file on this host.  These are small real files, made
once per test run in a private temporary directory and removed at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_DIR = tempfile.mkdtemp(prefix="xend-tests-boot-")
atexit.register(shutil.rmtree, _DIR, True)

KERNEL = os.path.join(_DIR, "vmlinuz-test")
RAMDISK = os.path.join(_DIR, "initrd-test")
for _path in (KERNEL, RAMDISK):
    with open(_path, "wb") as _f:
        _f.write(b"not a real image\n")
