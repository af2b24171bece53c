"""Host debug keys and domain core dumps on the simulated hypervisor.

``send_debug_keys`` appends what Xen 4.17 would print for each key to the
console ring (see :mod:`.debugkeys`), so that ``xm dmesg`` shows it as
``xl dmesg`` would.  ``core_dump`` writes the small ELF core of
:mod:`.coredump`; like ``xc_domain_dumpcore`` it creates or truncates the
named file with mode 0600 (but never follows a symbolic link) and does not
pause the domain; a PV domain that never ran is refused as libxl's dump
fails for it (see :mod:`xend.hv.dumpable`).
"""

from __future__ import annotations

import errno
import os

from xend.errors import StorageError
from xend.hv.debugkeys import check_debug_keys
from xend.hv.diskroom import check_room
from xend.hv.dumpable import never_ran
from xend.hv.sim import coredump
from xend.hv.sim.core import SimCore
from xend.hv.sim.debugkeys import DomainLine, key_lines


class AdminOps(SimCore):
    _alt_key_handling = False       # Xen's 'A' toggle; lost on restart

    def send_debug_keys(self, keys: str) -> None:
        check_debug_keys(keys)
        with self._change():
            for key in keys:
                if key == "A":
                    self._alt_key_handling = not self._alt_key_handling
                now = self._clock()
                uptime_ns = int(max(0.0, now - self._state.host_boot_time)
                                * 1e9)
                domains = [DomainLine(d.domid, d.pause_count,
                                      d.current_kb // 4)
                           for _, d in sorted(self._state.domains.items())]
                lines = key_lines(key, now_ns=uptime_ns, domains=domains,
                                  alt_handling=self._alt_key_handling)
                if lines:
                    self._log_xen(*[f"(XEN) {line}" for line in lines])

    def core_dump(self, domid: int, path: str) -> None:
        with self._lock:
            dom = self._guest(domid, "dump the core of")
            if dom.domain_type == "pv" and not dom.memory_map:
                raise never_ran(domid)
            data = coredump.core_image(
                name=dom.name, domid=dom.domid, uuid=dom.uuid,
                domain_type=dom.domain_type, vcpus=dom.max_vcpus,
                memory_kb=dom.current_kb, dumped_at=self._clock())
        check_room(path, len(data))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                         | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StorageError(f"cannot write {path}: it is a symbolic "
                                   "link") from None
            raise StorageError(f"cannot write {path}: "
                               f"{exc.strerror or exc}") from None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError as exc:
            raise StorageError(f"cannot write {path}: "
                               f"{exc.strerror or exc}") from None
        finally:
            os.close(fd)
