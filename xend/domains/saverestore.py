"""Save, restore, and the managed-domain suspend/resume built on them.

``save``/``restore`` work on file objects made from descriptors that xm
opened and passed over the socket: xend never opens a path a client named.
``suspend``/``resume`` use the managed domain's own ``checkpoint.chk``.
"""

from __future__ import annotations

import logging
import os
from typing import Any, BinaryIO

from xend.domains.base import DomainServiceBase
from xend.domains.saveimage import read_header, write_header
from xend.domains.table import DomainEntry
from xend.errors import InvalidState, StorageError, XendError
from xend.model.domconfig import DomainConfig
from xend.model.libxl_json import to_libxl_json

log = logging.getLogger("xend.domains")


class SaveRestoreMixin(DomainServiceBase):

    def save(self, ref: str | int, stream: BinaryIO,
             checkpoint: bool = False) -> None:
        entry, domid = self.running_domid(ref)
        self.refuse_dom0(domid, "save")
        if entry is None:
            raise XendError(f"Domain '{ref}' has no configuration to save")
        if getattr(entry.config, "nomigrate", 0):
            raise XendError("Domain has nomigrate set: it cannot be saved")
        self.quiet.add(domid)
        try:
            write_header(stream, entry.config.to_dict())
            self.hv.save(domid, stream)
            stream.flush()
            os.fsync(stream.fileno())
        except OSError as exc:
            self._resume_after_failure(domid)
            raise StorageError(f"cannot write the save file: "
                               f"{exc.strerror or exc}") from None
        except BaseException:
            self._resume_after_failure(domid)
            raise
        if checkpoint:
            self.hv.resume(domid)
            self.quiet.discard(domid)
        else:
            self.hv.destroy(domid)
            self.forget(entry)
        log.info("saved domain %s (id %d)%s", entry.name, domid,
                 " (checkpoint)" if checkpoint else "")

    def _resume_after_failure(self, domid: int) -> None:
        try:
            self.hv.resume(domid)
        except InvalidState:
            pass            # it never suspended: nothing to undo
        except XendError as exc:
            log.error("cannot resume domain %d after a failed save: %s",
                      domid, exc)
        self.quiet.discard(domid)

    def restore(self, stream: BinaryIO, paused: bool = False,
                managed: DomainEntry | None = None) -> str:
        # An image saved before MACs were chosen up front gets them now.
        cfg = self.with_macs(DomainConfig.from_dict(read_header(stream)))
        with self.lifecycle_lock:
            if managed is None:
                existing = self.table.entries.get(str(cfg.uuid))
                if existing is not None and existing.managed and \
                        existing.domid is None:
                    managed = existing
            entry = managed or DomainEntry(config=cfg)
            if managed is not None:
                entry.config = cfg
            self.check_name_free(cfg.name, str(cfg.uuid),
                                 allow_uuid=managed.uuid if managed else None)
            domid = self.hv.restore(
                to_libxl_json(cfg, self.hv.host_info().nr_cpus), stream)
            self.adopt(entry, domid, paused)
        log.info("restored domain %s (id %d)", entry.name, domid)
        return entry.uuid

    # -- managed suspend / resume --------------------------------------------
    def suspend(self, ref: str | int) -> None:
        entry = self.managed_entry(ref)  # type: ignore[attr-defined]
        if entry.domid is None:
            raise InvalidState("Domain is not running")
        path = self.table.checkpoint_path(entry.uuid)
        try:
            with open(path, "wb") as stream:
                os.fchmod(stream.fileno(), 0o600)
                self.save(entry.uuid, stream)
        except BaseException:
            if entry.domid is not None and os.path.exists(path):
                os.unlink(path)
            raise

    def resume(self, ref: str | int, paused: bool = False) -> None:
        entry = self.managed_entry(ref)  # type: ignore[attr-defined]
        path = self.table.checkpoint_path(entry.uuid)
        if entry.domid is not None or not os.path.exists(path):
            raise InvalidState("Domain is not suspended")
        with open(path, "rb") as stream:
            self.restore(stream, paused, managed=entry)
        os.unlink(path)

    def saved_config(self, stream: BinaryIO) -> dict[str, Any]:
        return read_header(stream)
