"""Thin RPC handlers: each resolves its arguments and makes one manager call.

Handlers run in the server's executor (they may block on the hypervisor).
The ones that receive a file (save, restore) get the passed descriptors as
their ``fds`` keyword argument and own them.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any, BinaryIO

import xend
from xend.domains.manager import DomainManager
from xend.errors import InvalidArgument
from xend.rpc.registry import Registry


def open_passed(fd: int, writing: bool) -> BinaryIO:
    """A file object owning the passed descriptor, which must be open for
    reading (restore) or writing (save); else the descriptor is closed and
    the client hears that it passed the wrong file."""
    try:
        mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
        wanted = os.O_WRONLY if writing else os.O_RDONLY
        if mode not in (wanted, os.O_RDWR):
            raise InvalidArgument("the file passed is not open for " +
                                  ("writing" if writing else "reading"))
        return os.fdopen(fd, "wb" if writing else "rb", closefd=True)
    except OSError as exc:
        os.close(fd)
        raise InvalidArgument(f"the file passed cannot be used: "
                              f"{exc.strerror or exc}") from None
    except InvalidArgument:
        os.close(fd)
        raise


def build_registry(manager: DomainManager, *, log_path: str,
                   hypervisor: str) -> Registry:
    m = manager
    reg = Registry()

    def version() -> dict[str, Any]:
        return {"version": xend.__version__, "hypervisor": hypervisor,
                "api": 1}

    def domains_with_state(detail: bool, state: str, full: bool) -> Any:
        if detail:
            return m.list_records(state, full)
        return m.names(state)

    def create(config: dict[str, Any], paused: bool) -> dict[str, Any]:
        return m.record(m.create(config, paused))

    def new(config: dict[str, Any]) -> dict[str, Any]:
        return m.record(m.new(config))

    def save(dom: Any, checkpoint: bool, *, fds: list[int]) -> None:
        with open_passed(fds[0], writing=True) as stream:
            m.save(dom, stream, checkpoint)

    def restore(paused: bool, *, fds: list[int]) -> dict[str, Any]:
        with open_passed(fds[0], writing=False) as stream:
            return m.record(m.restore(stream, paused))

    def dmesg_clear() -> str:
        return m.hv.dmesg(clear=True)

    table: dict[str, Any] = {
        "xend.version": version,
        "xend.node.info": m.node_info,
        "xend.node.dmesg.info": lambda: m.hv.dmesg(),
        "xend.node.dmesg.clear": dmesg_clear,
        "xend.node.log": lambda: m.read_log(log_path),
        "xend.node.scheduler": lambda: m.hv.scheduler(),
        "xend.domains_with_state": domains_with_state,
        "xend.domain": m.record,
        "xend.domain.getVCPUInfo": m.vcpu_info,
        "xend.domain.getRestartCount": m.restart_count,
        "xend.domain.create": create,
        "xend.domain.new": new,
        "xend.domain.delete": m.delete,
        "xend.domain.start": m.start,
        "xend.domain.suspend": m.suspend,
        "xend.domain.resume": m.resume,
        "xend.domain.destroy": m.destroy,
        "xend.domain.shutdown": m.shutdown,
        "xend.domain.reset": m.reset,
        "xend.domain.pause": m.pause,
        "xend.domain.unpause": m.unpause,
        "xend.domain.setName": m.rename,
        "xend.domain.send_sysrq": m.send_sysrq,
        "xend.domain.send_trigger": m.send_trigger,
        "xend.domain.save": save,
        "xend.domain.restore": restore,
        "xend.domain.setMemoryTarget": m.set_memory_target,
        "xend.domain.maxmem_set": m.set_max_memory,
        "xend.domain.setVCpuCount": m.set_vcpus,
        "xend.domain.pincpu": m.pin_vcpu,
        "xend.domain.sched_credit_get":
            lambda dom: m.sched_get(dom, "credit"),
        "xend.domain.sched_credit_set":
            lambda dom, weight, cap: m.sched_set(dom, "credit", weight, cap),
        "xend.domain.sched_credit2_get":
            lambda dom: m.sched_get(dom, "credit2"),
        "xend.domain.sched_credit2_set":
            lambda dom, weight: m.sched_set(dom, "credit2", weight, None),
        "xend.domain.device_create": m.device_create,
        "xend.domain.destroyDevice": m.destroy_device,
        "xend.domain.getDeviceSxprs": m.device_sxprs,
        "xend.domain.getConsolePath": m.console_path,
    }
    for name, handler in table.items():
        reg.register(name, handler)
    return reg
