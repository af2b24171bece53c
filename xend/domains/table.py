"""The domain table: what xend knows about each domain, and where it is kept.

Running state (domid, memory, cpu time...) always comes from the hypervisor;
this table only holds what the hypervisor does not know:

* **managed domains** (``xm new``): ``<xend-domains-path>/<uuid>/config.json``,
  the domain's configuration, kept whether the domain runs or not;
* **running domains**: ``<xend-state-path>/running/<uuid>.json``, the
  configuration a running domain was started with and its restart count, so
  that a restarted xend re-attaches to it without touching it.

Both are written atomically.  An entry is looked up by name, domid or uuid in
xend 4.4's order: running by name, managed by name, running by id, running by
uuid, managed by uuid.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass, field

from xend.domains import testhooks
from xend.domains.atomicfile import read_json, write_json_atomic
from xend.errors import DomainNotFound, StorageError, XendError
from xend.model.domconfig import DomainConfig

log = logging.getLogger("xend.domains")

CHECKPOINT = "checkpoint.chk"
# A managed domain being deleted: its directory is renamed to this prefix
# first (one atomic step), then removed; a restart removes what is left.
DELETING = ".deleting-"
# Xen's DOMID_FIRST_RESERVED: no domain has this id or a higher one.
DOMID_LIMIT = 0x7FF0


def as_domid(text: str) -> int | None:
    """The domain id *text* spells (ASCII digits, below Xen's reserved
    ids), or None: ``"²"`` is a digit to ``str.isdigit`` but no number,
    and ``"99999999999"`` is no domid (libxl would overflow on it)."""
    if not (text.isascii() and text.isdigit()):
        return None
    domid = int(text)
    return domid if domid < DOMID_LIMIT else None


@dataclass
class DomainEntry:
    """One domain xend manages or watches."""

    config: DomainConfig
    managed: bool = False
    domid: int | None = None
    restart_count: int = 0
    restart_times: list[float] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return str(self.config.uuid)

    @property
    def name(self) -> str:
        return str(self.config.name)


class DomainTable:
    """Entries by uuid, with their two on-disk homes."""

    def __init__(self, domains_path: str, state_path: str) -> None:
        self.domains_path = domains_path
        self.state_path = state_path
        self.running_path = os.path.join(state_path, "running")
        self.lock = threading.RLock()
        self.entries: dict[str, DomainEntry] = {}
        for path in (domains_path, self.running_path):
            try:
                os.makedirs(path, mode=0o700, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"cannot create {path}: {exc.strerror}") from None

    # -- lookup --------------------------------------------------------------
    def by_domid(self, domid: int) -> DomainEntry | None:
        for entry in self.entries.values():
            if entry.domid == domid:
                return entry
        return None

    def by_name(self, name: str) -> DomainEntry | None:
        found = [e for e in self.entries.values() if e.name == name]
        for entry in found:
            if entry.domid is not None:
                return entry
        return found[0] if found else None

    def lookup(self, ref: str | int) -> DomainEntry:
        """Resolve a name, domid or uuid; raise DomainNotFound."""
        text = str(ref)
        with self.lock:
            entry = self.by_name(text)
            if entry is not None:
                return entry
            domid = as_domid(text)
            if domid is not None:
                entry = self.by_domid(domid)
                if entry is not None:
                    return entry
            entry = self.entries.get(text.lower())
            if entry is not None:
                return entry
        raise DomainNotFound(text)

    # -- persistence ---------------------------------------------------------
    def managed_dir(self, uuid: str) -> str:
        return os.path.join(self.domains_path, uuid)

    def checkpoint_path(self, uuid: str) -> str:
        return os.path.join(self.managed_dir(uuid), CHECKPOINT)

    def save_managed(self, entry: DomainEntry) -> None:
        directory = self.managed_dir(entry.uuid)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create {directory}: {exc.strerror}") from None
        write_json_atomic(os.path.join(directory, "config.json"),
                          {"version": 1, "config": entry.config.to_dict()})

    def remove_managed(self, entry: DomainEntry,
                       pause_stage: str | None = None) -> None:
        """Delete the managed domain's directory: renamed away first, so a
        kill -9 leaves either the whole domain or none of it."""
        directory = self.managed_dir(entry.uuid)
        doomed = os.path.join(self.domains_path, DELETING + entry.uuid)
        shutil.rmtree(doomed, ignore_errors=True)
        try:
            os.rename(directory, doomed)
            _fsync_dir(self.domains_path)
        except FileNotFoundError:
            return
        except OSError:
            doomed = directory
        if pause_stage is not None:
            testhooks.pause_at(pause_stage)
        shutil.rmtree(doomed, ignore_errors=True)

    def sweep_deleted(self) -> list[str]:
        """Remove what a deletion cut short left; returns what was removed."""
        removed = []
        for fname in sorted(os.listdir(self.domains_path)):
            if fname.startswith(DELETING):
                path = os.path.join(self.domains_path, fname)
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed

    def save_running(self, entry: DomainEntry) -> None:
        write_json_atomic(
            os.path.join(self.running_path, entry.uuid + ".json"),
            {"version": 1, "domid": entry.domid,
             "restart_count": entry.restart_count,
             "config": entry.config.to_dict()})

    def remove_running(self, entry: DomainEntry) -> None:
        try:
            os.unlink(os.path.join(self.running_path, entry.uuid + ".json"))
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.error("cannot remove runtime record of %s: %s",
                      entry.name, exc.strerror)

    def persist(self, entry: DomainEntry) -> None:
        """Write whatever files this entry has on disk."""
        if entry.managed:
            self.save_managed(entry)
        if entry.domid is not None:
            self.save_running(entry)
        else:
            self.remove_running(entry)

    def load_managed(self) -> list[DomainEntry]:
        """Every managed domain on disk; broken ones are logged and skipped."""
        entries = []
        for uuid in sorted(os.listdir(self.domains_path)):
            if uuid.startswith("."):
                continue        # a deletion cut short (see sweep_deleted)
            path = os.path.join(self.domains_path, uuid, "config.json")
            if not os.path.isfile(path):
                continue
            try:
                cfg = DomainConfig.from_dict(read_json(path)["config"])
            except (XendError, KeyError, TypeError) as exc:
                log.error("skipping managed domain %s: %s", uuid, exc)
                continue
            if str(cfg.uuid) != uuid:
                log.error("skipping managed domain %s: its config has uuid "
                          "%s", uuid, cfg.uuid)
                continue
            entries.append(DomainEntry(config=cfg, managed=True))
        return entries

    def load_running(self) -> dict[str, DomainEntry]:
        """The runtime records of domains that ran when xend last stopped."""
        entries: dict[str, DomainEntry] = {}
        for fname in sorted(os.listdir(self.running_path)):
            if not fname.endswith(".json"):
                continue
            path = os.path.join(self.running_path, fname)
            try:
                data = read_json(path)
                cfg = DomainConfig.from_dict(data["config"])
                entries[str(cfg.uuid)] = DomainEntry(
                    config=cfg, domid=data.get("domid"),
                    restart_count=int(data.get("restart_count", 0)))
            except (XendError, KeyError, TypeError, ValueError) as exc:
                log.error("ignoring runtime record %s: %s", fname, exc)
        return entries


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
