"""Atomic file replacement: write a temp file, fsync, rename, fsync the dir.

Used for every file xend keeps (managed domain configs, runtime records), so
that a crash or a full disk never leaves a half-written file: the old file
stays intact and the error is reported as a clear ``StorageError``.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from xend.errors import StorageError


def write_atomic(path: str, data: bytes, mode: int = 0o600) -> None:
    directory = os.path.dirname(path) or "."
    fd, tmp = -1, ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
        tmp = ""
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise StorageError(
            f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def write_json_atomic(path: str, obj: Any) -> None:
    write_atomic(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n")
                 .encode())


def read_json(path: str) -> Any:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode())
    except OSError as exc:
        raise StorageError(
            f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise StorageError(f"{path} is not valid JSON: {exc}") from None
