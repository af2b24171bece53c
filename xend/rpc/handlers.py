"""Thin RPC handlers: each resolves its arguments and makes one manager call.

Handlers run in the server's executor (they may block on the hypervisor).
The ones that receive a file (save, restore) get the passed descriptors as
their ``fds`` keyword argument and own them (:mod:`.passed_files` checks
and closes them).
"""

from __future__ import annotations

from typing import Any

import xend
from xend.domains.inflight import SaveTarget
from xend.domains.manager import DomainManager
from xend.errors import InvalidArgument, StorageError
from xend.rpc.passed_files import passed_stream, xl_streams
from xend.rpc.registry import Registry


def build_registry(manager: DomainManager, *, log_path: str,
                   hypervisor: str, migration: Any = None) -> Registry:
    m = manager
    reg = Registry()

    def version() -> dict[str, Any]:
        return {"version": xend.__version__, "hypervisor": hypervisor,
                "api": 1, "relocation": migration.describe()
                if migration is not None else []}

    def migrate(dom: Any, dst: str, live: bool, port: int, node: int,
                ssl: bool | None, chs: bool, *,
                progress: Any = None) -> None:
        if migration is None:
            raise InvalidArgument("migration is not available")
        migration.migrate(dom, dst, live, port, node, ssl, chs, progress)

    def migrate_send_xl(dom: Any, live: bool, *, fds: list[int]) -> None:
        if migration is None:
            raise InvalidArgument("migration is not available")
        with xl_streams(fds) as (rstream, wstream):
            migration.send_to_xl(dom, rstream, wstream, live)

    def migrate_receive_xl(paused: bool, *,
                           fds: list[int]) -> dict[str, Any]:
        if migration is None:
            raise InvalidArgument("migration is not available")
        with xl_streams(fds) as (rstream, wstream):
            return m.record(migration.receive_from_xl(rstream, wstream,
                                                      paused))

    def domains_with_state(detail: bool, state: str, full: bool) -> Any:
        if detail:
            return m.list_records(state, full)
        return m.names(state)

    def create(config: dict[str, Any], paused: bool) -> dict[str, Any]:
        return m.record(m.create(config, paused))

    def new(config: dict[str, Any]) -> dict[str, Any]:
        return m.record(m.new(config))

    def save(dom: Any, checkpoint: bool, path: str | None = None,
             temp: str | None = None, image_format: str = "xm", *,
             fds: list[int]) -> None:
        with passed_stream(fds, writing=True) as stream:
            target = None
            if path is not None or temp is not None:
                if path is None or temp is None:
                    raise InvalidArgument("save needs both path and temp")
                target = SaveTarget.from_client(stream.fileno(), path, temp)
            m.save(dom, stream, checkpoint, target, image_format)

    def restore(paused: bool, *, fds: list[int]) -> dict[str, Any]:
        with passed_stream(fds, writing=False) as stream:
            try:
                return m.record(m.restore(stream, paused))
            except OSError as exc:
                raise StorageError(f"cannot read the save file: "
                                   f"{exc.strerror or exc}") from None

    def dmesg_clear() -> str:
        return m.hv.dmesg(clear=True)

    table: dict[str, Any] = {
        "xend.version": version,
        "xend.node.info": m.node_info,
        "xend.node.dmesg.info": lambda: m.hv.dmesg(),
        "xend.node.dmesg.clear": dmesg_clear,
        "xend.node.log": lambda: m.read_log(log_path),
        "xend.node.send_debug_keys": m.send_debug_keys,
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
        "xend.domain.dump": m.dump_core,
        "xend.domain.save": save,
        "xend.domain.restore": restore,
        "xend.domain.migrate": migrate,
        "xend.domain.migrate_send_xl": migrate_send_xl,
        "xend.domain.migrate_receive_xl": migrate_receive_xl,
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
        "xend.domain.getVncDisplay": m.vnc_display,
    }
    for name, handler in table.items():
        reg.register(name, handler)
    return reg
