"""Lifecycle operations: create, new/delete/start, destroy, shutdown, pause,
rename, reset, sysrq and triggers, and re-attaching after an xend restart."""

from __future__ import annotations

import logging
from typing import Any

from xend.domains import testhooks
from xend.domains.base import DOM0_ID, DomainServiceBase
from xend.domains.table import DomainEntry
from xend.errors import InvalidArgument, InvalidState, XendError
from xend.model.domconfig import DomainConfig
from xend.model.libxl_hvm import device_model_stubdomain
from xend.model.libxl_json import to_libxl_json

log = logging.getLogger("xend.domains")

SHUTDOWN_REASONS = ("poweroff", "halt", "reboot")
TRIGGERS = ("nmi", "reset", "init", "s3resume", "power", "sleep")


class LifecycleMixin(DomainServiceBase):

    # -- start-up -------------------------------------------------------------
    def attach(self) -> list[int]:
        """Rebuild the table from disk and the hypervisor, touching no domain.

        Returns the domids found already shut down, whose restart policy the
        caller should apply now."""
        running = self.table.load_running()
        managed = {e.uuid: e for e in self.table.load_managed()}
        pending = []
        with self.table.lock:
            self.table.entries.clear()
            for info in self.hv.list_domains():
                if info.domid == DOM0_ID or info.dying:
                    continue
                entry = running.get(info.uuid)
                if entry is None and info.uuid in managed:
                    entry = managed[info.uuid]
                if entry is None:
                    entry = DomainEntry(config=self._config_of(info.domid))
                entry.managed = info.uuid in managed
                if info.uuid in running and \
                        running[info.uuid].domid == info.domid:
                    self.recorded_at_start.add(info.uuid)
                entry.domid = info.domid
                self.table.entries[entry.uuid] = entry
                try:
                    self.table.save_running(entry)
                except XendError as exc:
                    log.error("cannot record domain %s: %s", entry.name, exc)
                if info.shutdown and info.shutdown_reason != "suspend":
                    pending.append(info.domid)
                log.info("re-attached to domain %s (id %d)", entry.name,
                         info.domid)
            for uuid, entry in managed.items():
                if uuid not in self.table.entries:
                    self.table.entries[uuid] = entry
            for uuid, stale in running.items():
                if uuid not in self.table.entries or \
                        self.table.entries[uuid].domid is None:
                    self.table.remove_running(stale)
        return pending

    def _config_of(self, domid: int) -> DomainConfig:
        """Configuration of a domain xend never created (e.g. by xl)."""
        from xend.model.libxl_json import from_libxl_json
        return from_libxl_json(self.hv.domain_config(domid))

    def autostart(self) -> None:
        """Start managed domains whose on_xend_start is 'start'."""
        for entry in list(self.table.entries.values()):
            if entry.managed and entry.domid is None and \
                    getattr(entry.config, "on_xend_start", "") == "start":
                try:
                    self.start(entry.uuid)
                except XendError as exc:
                    log.error("autostart of %s failed: %s", entry.name, exc)

    # -- booting --------------------------------------------------------------
    def boot(self, entry: DomainEntry, paused: bool,
             op: str = "create") -> int:
        """Create the domain of ``entry`` in the hypervisor and start it.

        Journaled: a kill -9 before it returns leaves a record from which
        the restarted xend destroys a domain that never ran, or keeps one
        that did (see :mod:`xend.domains.recovery`)."""
        # A reboot's old domain is gone already: its record carries the
        # configuration, so that recovery can boot it again, as for reset.
        extra: dict[str, Any] = {} if op != "reboot" else {
            "config": entry.config.to_dict(), "managed": entry.managed}
        with self.journaled(entry, op, paused=paused, **extra):
            return self._boot(entry, paused, op)

    def _boot(self, entry: DomainEntry, paused: bool, op: str) -> int:
        if not all(vif.mac for vif in entry.config.vifs):
            # A config kept from before MACs were chosen up front.
            with self.table.lock:
                entry.config = self.with_macs(entry.config)
                if entry.managed:
                    self.table.save_managed(entry)
        domid = self.hv.create(to_libxl_json(
            entry.config, self.hv.host_info().nr_cpus))
        testhooks.pause_at(op + ":built")
        self.adopt(entry, domid, paused, op)
        testhooks.pause_at(op + ":started")
        log.info("started domain %s (id %d)", entry.name, domid)
        return domid

    def create(self, config: dict[str, Any], paused: bool = False) -> str:
        cfg = self.with_macs(self.with_uuid(DomainConfig.from_dict(config)))
        with self.lifecycle_lock:
            self.check_name_free(cfg.name, cfg.uuid)
            entry = DomainEntry(config=cfg)
            self.boot(entry, paused)
        return entry.uuid

    def new(self, config: dict[str, Any]) -> str:
        cfg = self.with_macs(self.with_uuid(DomainConfig.from_dict(config)))
        device_model_stubdomain(cfg)    # refuse what start would refuse
        with self.lifecycle_lock:
            self.check_name_free(cfg.name, cfg.uuid)
            entry = DomainEntry(config=cfg, managed=True)
            try:
                self.table.save_managed(entry)
            except BaseException:
                self.table.remove_managed(entry)    # nothing left behind
                raise
            testhooks.pause_at("new:recorded")
            with self.table.lock:
                self.table.entries[entry.uuid] = entry
        log.info("registered managed domain %s", cfg.name)
        return entry.uuid

    def managed_entry(self, ref: str | int) -> DomainEntry:
        entry, _ = self.resolve(ref)
        if entry is None or not entry.managed:
            raise XendError(f"Domain '{ref}' is not a managed domain")
        return entry

    def delete(self, ref: str | int) -> None:
        entry = self.managed_entry(ref)
        with self.lifecycle_lock:
            if entry.domid is not None:
                raise InvalidState("Domain is not halted.")
            self.table.remove_managed(entry, pause_stage="delete:renamed")
            with self.table.lock:
                self.table.entries.pop(entry.uuid, None)
        log.info("deleted managed domain %s", entry.name)

    def start(self, ref: str | int, paused: bool = False) -> None:
        entry = self.managed_entry(ref)
        if self.suspended(entry):
            self.resume(ref, paused)  # type: ignore[attr-defined]
            return
        with self.lifecycle_lock:
            if entry.domid is not None:
                raise InvalidState("Domain is already running")
            self.check_name_free(entry.name, None, allow_uuid=entry.uuid)
            self.boot(entry, paused, "start")

    def suspended(self, entry: DomainEntry) -> bool:
        import os
        return entry.managed and entry.domid is None and \
            os.path.exists(self.table.checkpoint_path(entry.uuid))

    # -- stopping -------------------------------------------------------------
    def destroy(self, ref: str | int) -> None:
        entry, domid = self.running_domid(ref)
        self.refuse_dom0(domid, "destroy")
        self.quiet.add(domid)
        self.hv.destroy(domid)
        testhooks.pause_at("destroy:destroyed")
        if entry is not None:
            self.forget(entry)
        log.info("destroyed domain %s (id %d)", ref, domid)

    def shutdown(self, ref: str | int, reason: str = "poweroff") -> None:
        if reason not in SHUTDOWN_REASONS:
            raise InvalidArgument(f"invalid shutdown reason '{reason}' "
                                  f"(use {', '.join(SHUTDOWN_REASONS)})")
        entry, domid = self.running_domid(ref)
        self.refuse_dom0(domid, "shut down")
        if reason == "halt":
            self.halting.add(domid)
        self.hv.shutdown(domid, reboot=(reason == "reboot"))

    def reset(self, ref: str | int) -> None:
        """Hard reset: destroy and start again with the same configuration."""
        entry, domid = self.running_domid(ref)
        self.refuse_dom0(domid, "reset")
        if entry is None:
            raise XendError(f"Domain '{ref}' has no configuration to reset "
                            "with")
        # A config that cannot be built refuses the reset before the guest
        # is touched.
        to_libxl_json(entry.config, self.hv.host_info().nr_cpus)
        # Journaled with its configuration: a kill -9 after the destroy and
        # before the new domain ran would otherwise lose a domain xend
        # does not manage; recovery boots it again instead.
        with self.lifecycle_lock, self.journaled(
                entry, "reset", paused=False,
                config=entry.config.to_dict(), managed=entry.managed):
            self.quiet.add(domid)
            self.hv.destroy(domid)
            # From here the domain is gone: forgotten at once (a managed one
            # becomes halted), so that a failed start leaves no ghost entry.
            self.forget(entry)
            testhooks.pause_at("reset:destroyed")
            try:
                self._boot(entry, False, "reset")
            except XendError as exc:
                log.error("reset of %s: destroyed, not started again: %s",
                          entry.name, exc)
                raise XendError(f"Domain {entry.name} was destroyed by the "
                                f"reset but could not be started again: "
                                f"{exc}") from None

    # -- small state changes ----------------------------------------------------
    def pause(self, ref: str | int) -> None:
        _, domid = self.running_domid(ref)
        self.refuse_dom0(domid, "pause")
        self.hv.pause(domid)
        self.admin_paused.add(domid)

    def unpause(self, ref: str | int) -> None:
        _, domid = self.running_domid(ref)
        self.refuse_dom0(domid, "unpause")
        self.hv.unpause(domid)
        self.admin_paused.discard(domid)

    def rename(self, ref: str | int, name: str) -> None:
        from xend.errors import ConfigError
        from xend.model.values import check_name
        try:
            check_name(name)
        except ConfigError as exc:
            raise InvalidArgument(str(exc)) from None
        entry, domid = self.resolve(ref)
        if domid == DOM0_ID:
            raise XendError("Cannot rename privileged domain 0")
        with self.lifecycle_lock:
            if entry is not None and entry.name == name:
                return
            self.check_name_free(name, None,
                                 allow_uuid=entry.uuid if entry else None)
            if domid is None or entry is None:
                if domid is not None:
                    self.hv.rename(domid, name)
                self.update_config(entry, name=name)
                return
            self.change_running(entry, domid, "rename", "rename", [name],
                                {"name": name})

    def send_sysrq(self, ref: str | int, key: str) -> None:
        if len(key) != 1 or not key.isascii():
            raise InvalidArgument(f"invalid sysrq key {key!r}")
        _, domid = self.running_domid(ref)
        self.hv.send_sysrq(domid, key)

    def send_trigger(self, ref: str | int, trigger: str, vcpu: int = 0) -> None:
        if trigger not in TRIGGERS:
            raise InvalidArgument(f"Invalid trigger: {trigger}")
        _, domid = self.running_domid(ref)
        # Checked here for both backends: libxl's vcpu is a uint32_t.
        vcpu_max = self.hv.domain_info(domid).vcpu_max
        if not 0 <= vcpu < vcpu_max:
            raise InvalidArgument(f"Send trigger '{trigger}' failed: vcpu "
                                  f"{vcpu} does not exist")
        self.hv.send_trigger(domid, trigger, vcpu)
