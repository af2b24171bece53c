"""What became of each incoming migration: ``<state>/migrations/<id>``.

A sender that lost its connection after it let the destination go asks,
on a new connection, whether the destination committed; the answer must
survive a restart of the destination's xend, so it is written (fsynced)
before it can be told.  Records older than a day are removed at start-up.
"""

from __future__ import annotations

import os
import re
import time

from xend.domains.atomicfile import read_json, write_json_atomic
from xend.errors import StorageError, XendError

COMMITTED = "committed"
ABORTED = "aborted"
UNKNOWN = "unknown"
KEEP_SECONDS = 24 * 3600
_ID = re.compile(r"^[0-9a-f]{32}$")


def valid_id(mid: str) -> bool:
    return bool(_ID.match(mid))


class Outcomes:
    def __init__(self, state_path: str) -> None:
        self.dir = os.path.join(state_path, "migrations")
        try:
            os.makedirs(self.dir, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {self.dir}: "
                               f"{exc.strerror}") from None

    def _path(self, mid: str) -> str:
        return os.path.join(self.dir, mid + ".json")

    def record(self, mid: str, outcome: str, uuid: str, name: str) -> None:
        write_json_atomic(self._path(mid), {"id": mid, "outcome": outcome,
                                            "uuid": uuid, "name": name,
                                            "time": time.time()})

    def get(self, mid: str) -> str:
        if not valid_id(mid):
            return UNKNOWN
        try:
            doc = read_json(self._path(mid))
        except XendError:
            return UNKNOWN
        outcome = doc.get("outcome") if isinstance(doc, dict) else None
        return outcome if outcome in (COMMITTED, ABORTED) else UNKNOWN

    def expire(self, now: float | None = None) -> None:
        limit = (now or time.time()) - KEEP_SECONDS
        try:
            names = os.listdir(self.dir)
        except OSError:
            return
        for fname in names:
            path = os.path.join(self.dir, fname)
            try:
                if os.lstat(path).st_mtime < limit:
                    os.unlink(path)
            except OSError:
                pass
