"""Finish or undo, at start-up, what a killed xend left in the journal.

Called by :meth:`SaveRestoreMixin.recover` (after :meth:`attach` has
re-attached every domain the hypervisor has) for each in-flight record
that is not a save.  The rules, chosen to match what the user was told: the
killed xend never answered, so ``xm`` reported an error, and the user
expects the operation not to have happened, unless undoing it would lose
something.

* **Creations** (``create``, ``start``, ``restore``, ``resume``): a domain
  that never ran (still held paused by xend, and not asked to be paused, or
  asked to be paused but never recorded) is destroyed: it may be half built
  (libxl runs inside xend), the user can simply run the command again, and
  nothing is lost (a restore's image, a resume's checkpoint stay where they
  were; a managed domain stays halted or suspended).  A domain that already
  ran is kept: destroying it would lose what the guest did.  That is
  rolling forward, so a resume then removes the checkpoint it restored from
  (restoring that stale image later would corrupt the guest's disks).
  xend 4.4 did the same on a failed create: ``XendDomainInfo`` destroyed the
  domain it was building.
* **reset** and a restart policy's **reboot**: the old domain is already gone, so there is nothing to go
  back to; the reset is finished: a half-built new domain is destroyed and
  the domain booted again from the configuration in the record (a domain
  that ran is kept).
* **Changes of a running domain** (``mem-set``, ``vcpu-set``, ``rename``):
  rolled forward, both steps again (each can be repeated), so that the
  hypervisor and the recorded configuration agree; nothing if the domain
  has gone meanwhile.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from xend.domains.base import DomainServiceBase
from xend.domains.table import DomainEntry
from xend.errors import XendError
from xend.hv.base import DomainInfo
from xend.model.domconfig import DomainConfig

log = logging.getLogger("xend.domains")

CREATIONS = ("create", "start", "restore", "resume")
CHANGES = ("mem-set", "vcpu-set", "rename")


def recover_record(svc: DomainServiceBase, record: dict[str, Any]) -> str:
    """Finish or undo one interrupted operation; returns what was done."""
    op = str(record.get("op"))
    name = str(record.get("name", record.get("uuid")))
    uuid = str(record.get("uuid", ""))
    if op in CREATIONS:
        return _recover_creation(svc, op, name, uuid, record)
    if op in ("reset", "reboot"):
        return _recover_reset(svc, op, name, uuid, record)
    if op in CHANGES:
        return _recover_change(svc, op, name, uuid, record)
    return f"dropped an in-flight record of {name} with unknown op {op!r}"


def _domain_of(svc: DomainServiceBase, uuid: str) -> DomainInfo | None:
    for info in svc.hv.list_domains():
        if info.uuid == uuid and not info.dying and info.domid != 0:
            return info
    return None


def _ran(svc: DomainServiceBase, info: DomainInfo, uuid: str,
         paused: bool) -> bool:
    """The creation got as far as the user asked: the domain was let run,
    or it was asked to stay paused and xend had recorded it."""
    return not info.paused or (paused and uuid in svc.recorded_at_start)


def _undo(svc: DomainServiceBase, info: DomainInfo) -> None:
    svc.quiet.add(info.domid)
    svc.hv.destroy(info.domid)
    entry = svc.table.by_domid(info.domid)
    if entry is not None:
        svc.forget(entry)


def _recover_creation(svc: DomainServiceBase, op: str, name: str, uuid: str,
                      record: dict[str, Any]) -> str:
    info = _domain_of(svc, uuid)
    if info is None:
        return f"interrupted {op} of {name}: no domain was built"
    if _ran(svc, info, uuid, bool(record.get("paused"))):
        if op == "resume":
            try:
                os.unlink(svc.table.checkpoint_path(uuid))
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.error("cannot remove the checkpoint of %s: %s", name,
                          exc.strerror)
        return (f"finished the interrupted {op} of {name}: domain "
                f"{info.domid} had already run, kept")
    _undo(svc, info)
    return (f"undid the interrupted {op} of {name}: domain {info.domid} "
            "never ran, destroyed")


def _recover_reset(svc: DomainServiceBase, op: str, name: str, uuid: str,
                   record: dict[str, Any]) -> str:
    info = _domain_of(svc, uuid)
    if info is not None:
        if _ran(svc, info, uuid, False):
            return f"finished the interrupted {op} of {name}: it runs"
        _undo(svc, info)
    entry = svc.table.entries.get(uuid)
    if entry is None:
        try:
            entry = DomainEntry(config=DomainConfig.from_dict(
                record["config"]), managed=bool(record.get("managed")))
        except (XendError, KeyError, TypeError) as exc:
            raise XendError(f"the record has no usable configuration: "
                            f"{exc}") from None
    boot = getattr(svc, "boot")
    with svc.lifecycle_lock:
        domid = boot(entry, False, op)
    return (f"finished the interrupted {op} of {name}: booted again as "
            f"domain {domid}")


def _recover_change(svc: DomainServiceBase, op: str, name: str, uuid: str,
                    record: dict[str, Any]) -> str:
    domid = record.get("domid")
    info = _domain_of(svc, uuid)
    entry = svc.table.entries.get(uuid)
    if info is None or info.domid != domid or entry is None:
        return f"interrupted {op} of {name}: the domain has gone, nothing " \
            "to finish"
    method = str(record.get("call"))
    args = record.get("args")
    changes = record.get("changes")
    if method not in ("set_memory_target", "set_vcpus_online", "rename") \
            or not isinstance(args, list) or not isinstance(changes, dict):
        raise XendError(f"damaged record of the {op}")
    getattr(svc.hv, method)(info.domid, *args)
    svc.update_config(entry, **changes)
    return f"finished the interrupted {op} of {name}"
