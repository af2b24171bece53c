"""Operations in flight, recorded durably so a restarted xend can finish or
undo them, and the save file a client asked for.

A save is recorded in ``<xend-state-path>/inflight/<uuid>.json`` before the
domain is touched and removed once it is over.  A record found at start-up
means xend died during that save: the restarted xend then resumes
the domain unless the complete image was published, and removes the partial
image.  Creations (create, start, restore, resume, reset) and changes of a
running domain (mem-set, vcpu-set, rename) are recorded the same way, under
``<uuid>.<op>.json``; :mod:`xend.domains.recovery` finishes or undoes them.

:class:`SaveTarget` is the file a save writes: the client (xm) creates a
temp file ``.tmp-<name>.XXXXXX`` next to the file it wants, passes its open
descriptor and both paths; xend writes and fsyncs the descriptor and renames
the temp file onto the wanted name only when the image is complete.  Every
step on the client's directory goes through a descriptor of that directory
and checks device and inode numbers first, so xend only ever renames or
removes the very file it was handed, never whatever a path names now.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass
from typing import Any

from xend.domains.atomicfile import read_json, write_json_atomic
from xend.errors import InvalidArgument, StorageError, XendError

TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class SaveTarget:
    directory: str          # absolute path of the directory
    temp: str               # name of the temp file in it
    name: str               # the name the finished image gets
    dev: int                # the temp file's identity
    ino: int
    dir_dev: int            # the directory's identity
    dir_ino: int

    @classmethod
    def from_client(cls, fd: int, path: str, temp: str) -> "SaveTarget":
        """Check what a client sent: ``temp`` is the file open as ``fd``,
        a ``.tmp-`` file in the directory of ``path``."""
        directory, name = os.path.split(path)
        temp_dir, temp_name = os.path.split(temp)
        if not os.path.isabs(path) or not name or temp_dir != directory \
                or not temp_name.startswith(TEMP_PREFIX):
            raise InvalidArgument(
                f"invalid save file names: {temp!r} is not a {TEMP_PREFIX}"
                f"file next to {path!r}")
        st = os.fstat(fd)
        dfd = _open_dir(directory)
        try:
            dst = os.fstat(dfd)
            try:
                lst = os.stat(temp_name, dir_fd=dfd, follow_symlinks=False)
            except OSError:
                lst = None
        finally:
            os.close(dfd)
        if lst is None or not stat.S_ISREG(st.st_mode) or \
                (lst.st_dev, lst.st_ino) != (st.st_dev, st.st_ino):
            raise InvalidArgument(f"{temp} is not the file passed to xend")
        return cls(directory, temp_name, name, st.st_dev, st.st_ino,
                   dst.st_dev, dst.st_ino)

    def path(self) -> str:
        return os.path.join(self.directory, self.name)

    def temp_path(self) -> str:
        return os.path.join(self.directory, self.temp)

    # -- steps, all relative to a checked descriptor of the directory --------
    def _dir(self) -> int:
        dfd = _open_dir(self.directory)
        st = os.fstat(dfd)
        if (st.st_dev, st.st_ino) != (self.dir_dev, self.dir_ino):
            os.close(dfd)
            raise StorageError(f"{self.directory} was replaced during the "
                               "save")
        return dfd

    def _is_ours(self, dfd: int, name: str) -> bool:
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == (self.dev, self.ino)

    def commit(self) -> None:
        """Publish the complete image: rename, then fsync the directory."""
        dfd = self._dir()
        try:
            if not self._is_ours(dfd, self.temp):
                raise StorageError(f"{self.temp_path()} disappeared during "
                                   "the save")
            os.rename(self.temp, self.name, src_dir_fd=dfd, dst_dir_fd=dfd)
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def committed(self) -> bool:
        """The image was published (a restart found it in place)."""
        try:
            dfd = self._dir()
        except (OSError, XendError):
            return False
        try:
            return self._is_ours(dfd, self.name) and \
                not self._is_ours(dfd, self.temp)
        finally:
            os.close(dfd)

    def discard(self) -> bool:
        """Remove the temp file if it is still ours; True if removed."""
        try:
            dfd = self._dir()
        except (OSError, XendError):
            return False
        try:
            if not self._is_ours(dfd, self.temp):
                return False
            os.unlink(self.temp, dir_fd=dfd)
            return True
        except OSError:
            return False
        finally:
            os.close(dfd)


def _open_dir(directory: str) -> int:
    try:
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY |
                       os.O_CLOEXEC)
    except OSError as exc:
        raise StorageError(f"cannot open {directory}: "
                           f"{exc.strerror or exc}") from None


class Journal:
    """``<state>/inflight``: one JSON record per domain with an operation
    in flight."""

    def __init__(self, state_path: str) -> None:
        self.dir = os.path.join(state_path, "inflight")
        try:
            os.makedirs(self.dir, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create {self.dir}: {exc.strerror}") from None

    def _path(self, uuid: str) -> str:
        return os.path.join(self.dir, uuid + ".json")

    def begin_save(self, uuid: str, name: str, domid: int, checkpoint: bool,
                   target: SaveTarget | None) -> None:
        """Durable before the domain is touched (StorageError if not)."""
        write_json_atomic(self._path(uuid), {
            "version": 1, "op": "save", "uuid": uuid, "name": name,
            "domid": domid, "checkpoint": checkpoint,
            "target": asdict(target) if target is not None else None})

    def begin(self, key: str, record: dict[str, Any]) -> None:
        """Record another operation (see :mod:`xend.domains.recovery`)
        under ``<key>.json``; durable when this returns."""
        write_json_atomic(self._path(key), {"version": 1, **record})

    def end(self, uuid: str) -> None:
        """Forget the record; removing needs no free space."""
        try:
            os.unlink(self._path(uuid))
            dfd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"cannot remove {self._path(uuid)}: "
                               f"{exc.strerror}") from None

    def records(self) -> list[dict[str, Any]]:
        found = []
        for fname in sorted(os.listdir(self.dir)):
            if not fname.endswith(".json") or fname.startswith("."):
                continue
            try:
                record = read_json(os.path.join(self.dir, fname))
            except XendError:
                record = {"op": "damaged", "uuid": fname[:-5]}
            if isinstance(record, dict):
                record["key"] = fname[:-5]      # what end() removes
                found.append(record)
        return found


def target_from_record(data: Any) -> SaveTarget | None:
    if not isinstance(data, dict):
        return None
    try:
        return SaveTarget(**data)
    except TypeError:
        return None


def sweep_temp_files(directory: str) -> list[str]:
    """Remove ``.tmp-*`` files (a write_atomic cut short) from one of xend's
    own directories; returns what was removed."""
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for fname in names:
        if not fname.startswith(TEMP_PREFIX):
            continue
        path = os.path.join(directory, fname)
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
                removed.append(path)
        except OSError:
            pass
    return removed
