"""Save, restore, and the managed-domain suspend/resume built on them.

``save``/``restore`` work on file objects made from descriptors that xm
opened and passed over the socket.  xm saves into a ``.tmp-`` file next to
the file it wants; xend renames it (through a checked descriptor of the
directory, see :class:`~xend.domains.inflight.SaveTarget`) once the image is
complete and synced.  Every save is recorded in the in-flight journal first,
so that after a crash :meth:`SaveRestoreMixin.recover` resumes the domain
unless the image was complete, and removes the partial one.
``suspend``/``resume`` use the managed domain's own ``checkpoint.chk``,
written the same way.

A save file is xm's format (``LinuxGuestRecord``, the default) or, with
``image_format="xl"``, xl's (see :mod:`.saveimage`); restore reads both, so
``xm restore`` takes what ``xl save`` wrote and ``xl restore`` what
``xm save --xl`` wrote.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any, BinaryIO, Callable

from xend.domains import testhooks
from xend.domains.base import DomainServiceBase
from xend.domains.inflight import (TEMP_PREFIX, SaveTarget,
                                   sweep_temp_files, target_from_record)
from xend.domains.saveimage import (FORMATS, SavedHeader, read_saved,
                                    xl_header, xm_header)
from xend.domains.table import CHECKPOINT, DomainEntry
from xend.errors import (InvalidArgument, InvalidState, NotSupported,
                         StorageError, XendError)
from xend.model.domconfig import DomainConfig
from xend.model.libxl_back import checked_config_from_libxl
from xend.model.libxl_json import to_libxl_json

log = logging.getLogger("xend.domains")


class SaveRestoreMixin(DomainServiceBase):

    def save(self, ref: str | int, stream: BinaryIO,
             checkpoint: bool = False,
             target: SaveTarget | None = None,
             image_format: str = "xm") -> None:
        """Save into ``stream``; with a ``target`` (the stream is its temp
        file), publish the image by renaming it only once it is complete.
        ``image_format`` is ``xm`` or ``xl`` (the file ``xl restore``
        reads).

        The save is recorded before the domain is touched, so that a
        restarted xend resumes the domain unless the image was published
        (see :meth:`recover`)."""
        if image_format not in FORMATS:
            raise InvalidArgument(f"Invalid save format {image_format!r}: "
                                  f"expected {' or '.join(FORMATS)}")
        entry, domid = self.movable(  # type: ignore[attr-defined]
            ref, "save")
        header = self._save_header(entry.config, image_format)
        self.journal.begin_save(entry.uuid, entry.name, domid, checkpoint,
                                target)
        self.quiet.add(domid)
        try:
            testhooks.pause_at("save:journaled")
            stream.write(header)
            stream.flush()
            testhooks.pause_at("save:header")
            self.hv.save(domid, testhooks.wrap_stream(stream, "save:image"))
            stream.flush()
            os.fsync(stream.fileno())
            testhooks.pause_at("save:written")
            if target is not None:
                target.commit()
            testhooks.pause_at("save:committed")
        except OSError as exc:
            self._undo_save(entry.uuid, domid, target)
            raise StorageError(f"cannot write the save file: "
                               f"{exc.strerror or exc}") from None
        except BaseException:
            self._undo_save(entry.uuid, domid, target)
            raise
        if checkpoint:
            self.hv.resume(domid)
            self.quiet.discard(domid)
        else:
            self.hv.destroy(domid)
            self.forget(entry)
        testhooks.pause_at("save:finished")
        self._end_record(entry.uuid)
        log.info("saved domain %s (id %d)%s%s", entry.name, domid,
                 " (checkpoint)" if checkpoint else "",
                 " in xl's format" if image_format == "xl" else "")

    def _save_header(self, cfg: DomainConfig, image_format: str) -> bytes:
        """The save file's header, made before the domain is touched (a
        config libxl cannot express fails here)."""
        if image_format == "xl":
            # what xm create -n --json prints, c_info.domid 0 as xl writes
            return xl_header(to_libxl_json(cfg, self.hv.host_info().nr_cpus))
        return xm_header(cfg.to_dict())

    def _undo_save(self, uuid: str, domid: int,
                   target: SaveTarget | None) -> None:
        if target is not None:
            target.discard()
        self._resume_after_failure(domid)
        self._end_record(uuid)

    def _resume_after_failure(self, domid: int) -> None:
        try:
            self.hv.resume(domid)
        except InvalidState:
            pass            # it never suspended: nothing to undo
        except XendError as exc:
            log.error("cannot resume domain %d after a failed save: %s",
                      domid, exc)
        self.quiet.discard(domid)

    # -- after a crash -----------------------------------------------------
    def recover(self) -> list[str]:
        """Finish or undo the saves a killed xend left in flight (called
        at start-up, after :meth:`attach`).  Returns what was done."""
        from xend.domains.recovery import recover_record
        done = []
        for record in self.journal.records():
            uuid = str(record.get("uuid", ""))
            op = str(record.get("op", ""))
            key = str(record.get("key", uuid))
            if op in ("migrate-in", "migrate-out"):
                continue        # xend.migrate.service recovers these
            try:
                if op in ("save", "damaged"):
                    done.append(self._recover_save(record))
                else:
                    done.append(recover_record(self, record))
            except XendError as exc:
                log.error("cannot recover the interrupted %s of %s: %s",
                          op, record.get("name", uuid), exc)
            self._end_record(key)
        done += [f"removed {path}, a deletion cut short"
                 for path in self.table.sweep_deleted()]
        own = [self.table.running_path, self.journal.dir] + [
            self.table.managed_dir(u) for u in self._managed_dirs()]
        for directory in own:
            for path in sweep_temp_files(directory):
                done.append(f"removed {path}, a write cut short")
        for what in done:
            log.warning("%s", what)
        return done

    def _managed_dirs(self) -> list[str]:
        try:
            return sorted(os.listdir(self.table.domains_path))
        except OSError:
            return []

    def _recover_save(self, record: dict[str, Any]) -> str:
        name = str(record.get("name", record.get("uuid")))
        if record.get("op") != "save":
            return f"dropped a damaged in-flight record of {name}"
        target = target_from_record(record.get("target"))
        domid = record.get("domid")
        info = None
        if isinstance(domid, int):
            try:
                info = self.hv.domain_info(domid)
            except XendError:
                info = None
            if info is not None and info.uuid != record.get("uuid"):
                info = None
        assert info is None or isinstance(domid, int)
        if target is not None and target.committed():
            if record.get("checkpoint"):
                if info is not None:
                    self._resume_after_failure(info.domid)
                return (f"finished the interrupted checkpoint of {name}: "
                        f"image {target.path()} complete, domain resumed")
            if info is not None:
                self.quiet.add(info.domid)
                self.hv.destroy(info.domid)
                entry = self.table.by_domid(info.domid)
                if entry is not None:
                    self.forget(entry)
            return (f"finished the interrupted save of {name}: image "
                    f"{target.path()} complete, domain stopped")
        removed = target.discard() if target is not None else False
        if info is not None:
            self._resume_after_failure(info.domid)
        state = "domain resumed" if info is not None else "domain gone"
        image = f", partial image {target.temp_path()} removed" \
            if removed and target is not None else ""
        return f"undid the interrupted save of {name}: {state}{image}"

    def restore(self, stream: BinaryIO, paused: bool = False,
                managed: DomainEntry | None = None,
                then: Callable[[], None] | None = None) -> str:
        """Restore a domain from ``stream``; ``then`` runs once it runs,
        before the journal forgets the restore (resume removes its
        checkpoint there)."""
        saved = read_saved(stream)
        # An image saved before MACs were chosen up front gets them now
        # (an xl file may lack a uuid only if someone wrote it by hand).
        cfg = self.with_macs(self.with_uuid(restored_config(saved)))
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
            op = "restore" if then is None else "resume"
            with self.journaled(entry, op, paused=paused):
                domid = self.hv.restore(
                    to_libxl_json(cfg, self.hv.host_info().nr_cpus), stream)
                testhooks.pause_at(op + ":built")
                self.adopt(entry, domid, paused, op)
                testhooks.pause_at(op + ":started")
                if then is not None:
                    then()
        log.info("restored domain %s (id %d)%s", entry.name, domid,
                 " from an xl save file" if saved.format == "xl" else "")
        return entry.uuid

    # -- managed suspend / resume --------------------------------------------
    def suspend(self, ref: str | int) -> None:
        entry = self.managed_entry(ref)  # type: ignore[attr-defined]
        if entry.domid is None:
            raise InvalidState("Domain is not running")
        path = self.table.checkpoint_path(entry.uuid)
        try:
            fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX + CHECKPOINT + ".",
                                        dir=os.path.dirname(path))
        except OSError as exc:
            raise StorageError(f"cannot create the checkpoint of "
                               f"{entry.name}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb", closefd=False) as stream:
                target = SaveTarget.from_client(fd, path, temp)
                self.save(entry.uuid, stream, target=target)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
        finally:
            os.close(fd)

    def resume(self, ref: str | int, paused: bool = False) -> None:
        entry = self.managed_entry(ref)  # type: ignore[attr-defined]
        path = self.table.checkpoint_path(entry.uuid)
        if entry.domid is not None or not os.path.exists(path):
            raise InvalidState("Domain is not suspended")
        with open(path, "rb") as stream:
            self.restore(stream, paused, managed=entry,
                         then=lambda: os.unlink(path))

    def saved_config(self, stream: BinaryIO) -> dict[str, Any]:
        """The DomainConfig dict of a save file of either format."""
        return restored_config(read_saved(stream)).to_dict()


def restored_config(saved: SavedHeader) -> DomainConfig:
    """The config a save file's header describes, checked."""
    if saved.format != "xl":
        return DomainConfig.from_dict(saved.config)
    if saved.stream_version != 2:
        raise NotSupported("this xl save file holds a legacy (version 1) "
                           "libxl stream, which only xl restores")
    return checked_config_from_libxl(saved.config)
