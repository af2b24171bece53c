"""``xm dump-core`` (a domain's memory to an ELF core file), ``xm debug-keys``.

As in xend 4.4 (``XendDomain.domain_dump``): a running domain is paused for
the dump unless ``live``, and unpaused after it; ``crash`` destroys the
domain after the dump, ``reset`` restarts it (not both).  Paused, running
and crashed domains can be dumped; Domain-0 cannot.  Without a file name
the core goes to ``<dump dir>/<name>/<YYYY-MMDD-HHMM.SS>-<name>.<domid>.core``
(the dump dir is ``xend-dump-path``, default ``/var/xen/dump``; when the
per-domain directory cannot be made, the dump dir itself, as in 4.4).

xend runs as root and writes where it is told, so the file is made safely:
the backend writes a fresh ``.tmp-*`` file (created exclusively, mode 0600)
in the target's directory, which is renamed over the target only once the
dump is complete; any failure removes it, so a full disk leaves no partial
core behind.  A target that is a directory or a symbolic link is refused.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import time

from xend.domains.base import DOM0_ID, DomainServiceBase
from xend.errors import (DomainNotFound, InvalidArgument, InvalidState,
                         StorageError, XendError)

log = logging.getLogger("xend.domains")


class CoreDumpMixin(DomainServiceBase):

    def dump_core(self, ref: str | int, filename: str | None = None,
                  live: bool = False, crash: bool = False,
                  reset: bool = False) -> str:
        """Dump the core of ``ref``; returns the file written."""
        if crash and reset:
            raise InvalidArgument("crash and reset exclude each other")
        _, domid = self.resolve(ref)
        if domid is None:
            raise InvalidState(f"Domain '{ref}' is not started")
        if domid == DOM0_ID:
            raise XendError(f"Cannot dump core for privileged domain {ref}")
        info = self.hv.domain_info(domid)
        if info.shutdown and not info.crashed or info.dying:
            raise InvalidState(f"Domain '{ref}' is not running, paused or "
                               "crashed")
        path = self._core_path(filename, info.name, domid)
        pause = not live and not info.paused and not info.shutdown
        if pause:
            self.hv.pause(domid)
        log.info("Domain core dump requested for domain %s (%d) live=%d "
                 "crash=%d reset=%d to %s.", info.name, domid, live, crash,
                 reset, path)
        try:
            self._write_core(domid, path)
        except BaseException:
            if pause:
                self._unpause_quietly(domid)
            raise
        if crash:
            self.destroy(domid)         # type: ignore[attr-defined]
        elif reset:
            self.reset(domid)           # type: ignore[attr-defined]
        elif pause:
            self._unpause_quietly(domid)
        return path

    def send_debug_keys(self, keys: str) -> None:
        """``xm debug-keys``: Xen prints what they do to its console."""
        log.info("sending debug keys %r to Xen", keys)
        self.hv.send_debug_keys(keys)

    def dump_core_after_shutdown(self, domid: int, name: str) -> str | None:
        """The on_*=coredump-* dump of a domain that shut down or crashed:
        to the default file; a failure is logged, not raised (the policy
        action goes on, as xl's does).  Returns the file, None if none."""
        try:
            path = self._core_path(None, name, domid)
            self._write_core(domid, path)
        except XendError as exc:
            log.error("core dump of %s (id %d) failed: %s", name, domid, exc)
            return None
        log.info("dumped the core of %s (id %d) to %s", name, domid, path)
        return path

    def _unpause_quietly(self, domid: int) -> None:
        try:
            self.hv.unpause(domid)
        except XendError as exc:
            log.error("cannot unpause domain %d after its core dump: %s",
                      domid, exc)

    # -- the file ------------------------------------------------------------
    def _core_path(self, filename: str | None, name: str, domid: int) -> str:
        if filename:
            if not os.path.isabs(filename):
                raise InvalidArgument(f"the core file must be an absolute "
                                      f"path: {filename}")
            path = os.path.normpath(filename)
        else:
            stamp = time.strftime("%Y-%m%d-%H%M.%S", time.localtime())
            path = os.path.join(self._dump_dir(name),
                                f"{stamp}-{name}.{domid}.core")
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return path
        except OSError as exc:
            raise StorageError(f"cannot write {path}: "
                               f"{exc.strerror or exc}") from None
        if stat.S_ISDIR(st.st_mode):
            raise InvalidArgument(f"Cannot dump core in a directory: {path}")
        if stat.S_ISLNK(st.st_mode):
            raise InvalidArgument(f"Refusing to dump core through a "
                                  f"symbolic link: {path}")
        return path

    def _dump_dir(self, name: str) -> str:
        """``<dump dir>/<name>``, made 0700 if missing; the dump dir itself
        when that cannot be (4.4's fallback) or is not a real directory."""
        base = self.dump_path
        sub = os.path.basename(name)
        if sub in ("", ".", ".."):
            return base
        directory = os.path.join(base, sub)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            log.error("Cannot create directory %s: %s", directory,
                      exc.strerror or exc)
        if os.path.isdir(directory) and not os.path.islink(directory):
            return directory
        try:
            os.makedirs(base, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {base}: "
                               f"{exc.strerror or exc}") from None
        return base

    def _write_core(self, domid: int, path: str) -> None:
        directory = os.path.dirname(path) or "."
        try:
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".core",
                                       dir=directory)
        except OSError as exc:
            raise StorageError(f"Failed to dump core: cannot write in "
                               f"{directory}: {exc.strerror or exc}") from None
        os.close(fd)
        try:
            self.hv.core_dump(domid, tmp)
            _fsync_file(tmp)
            os.replace(tmp, path)
            tmp = ""
            _fsync_dir(directory)
        except DomainNotFound:
            raise
        except OSError as exc:
            raise StorageError(f"Failed to dump core: cannot write {path}: "
                               f"{exc.strerror or exc}") from None
        except XendError as exc:
            log.error("core dump failed: id = %d: %s", domid, exc)
            raise type(exc)(f"Failed to dump core: {exc}") from None
        finally:
            if tmp:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
