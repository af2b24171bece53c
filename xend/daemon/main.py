"""The composition root: build xend's services from its config and run them.

One asyncio event loop serves the RPC socket and signals; hypervisor calls
run in a bounded thread pool.  Start-up re-attaches to running domains
without touching them; SIGTERM stops cleanly (applying ``on_xend_stop``),
SIGHUP re-reads the config (log level) without touching domains.

Xenstore (:mod:`xend.xs`) comes first and goes last: with the simulator xend
runs its own xenstored, the simulator writes libxl's keys into it, the
mirror writes xend's after every domain change (and all of them again at
start-up), and watches on ``@releaseDomain`` feed the restart policies.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from xend.daemon.config import XendConfig, load_config
from xend.daemon.logs import setup_logging
from xend.errors import InternalError, XendError
from xend.hv import make_hypervisor
from xend.hv.base import DomainEvent, Hypervisor
from xend.xs.embedded import XenstoreService, open_xenstore

log = logging.getLogger("xend")

EXECUTOR_THREADS = 8


def backend_arguments(config: XendConfig,
                      xenstore: XenstoreService | None = None
                      ) -> dict[str, Any]:
    extra = xenstore.backend_arguments() if xenstore is not None else {}
    if config.hypervisor == "sim":
        return {"state_dir": config.state_path,
                "host_memory_mib": config.sim_host_memory,
                "host_cpus": config.sim_host_cpus,
                "scheduler": config.sim_scheduler,
                "dom0_memory_mib": config.sim_dom0_memory,
                "stream_rate_kib": config.sim_stream_rate,
                "ignore_shutdown": tuple(config.sim_ignore_shutdown.split()),
                **extra}
    return {"state_dir": config.state_path, **extra}


class Xend:
    """The running daemon."""

    def __init__(self, config: XendConfig, foreground: bool = False) -> None:
        self.config = config
        self.foreground = foreground
        self.executor = ThreadPoolExecutor(EXECUTOR_THREADS,
                                           thread_name_prefix="xend-op")
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- the main coroutine ------------------------------------------------------
    async def run(self, ready: Callable[[], None] | None = None) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        cfg = self.config
        log.info("Xend Daemon started (hypervisor %s)", cfg.hypervisor)
        for warning in cfg.warnings:
            log.warning("%s", warning)
        xenstore = await loop.run_in_executor(self.executor, open_xenstore,
                                              cfg)
        try:
            await self._serve(xenstore, ready)
        finally:
            await loop.run_in_executor(None, xenstore.close)

    async def _serve(self, xenstore: XenstoreService,
                     ready: Callable[[], None] | None) -> None:
        from xend.domains.manager import DomainManager
        from xend.domains.table import DomainTable
        from xend.rpc.handlers import build_registry
        from xend.rpc.server import RpcServer

        loop = asyncio.get_running_loop()
        cfg = self.config
        hv = await loop.run_in_executor(
            self.executor, lambda: make_hypervisor(
                cfg.hypervisor, **backend_arguments(cfg, xenstore)))
        watcher = None
        try:
            table = DomainTable(cfg.domains_path, cfg.state_path)
            manager = DomainManager(hv, table, dom0_min_mem=cfg.dom0_min_mem,
                                    dump_path=cfg.dump_path)
            pending = await loop.run_in_executor(self.executor, manager.attach)
            # Saves a killed xend left half done: finish or undo them.
            await loop.run_in_executor(self.executor, manager.recover)
            from xend.migrate.service import MigrationService
            migration = MigrationService(manager, cfg)
            pending += await loop.run_in_executor(
                self.executor, migration.recover_pending)
            hv.watch_events(self._event_forwarder(manager))
            for domid in pending:
                self._replay_shutdown(manager, hv, domid)
            watcher = await loop.run_in_executor(
                self.executor, self._attach_xenstore, xenstore, manager, hv)
            registry = build_registry(manager, log_path=cfg.logfile,
                                      hypervisor=hv.kind,
                                      migration=migration)
            missing = registry.missing()
            if missing:
                raise InternalError("RPC methods without a handler: "
                                    + ", ".join(missing))
            server = RpcServer(cfg.rpc_socket, registry, self.executor)
            await server.start()
            try:
                await migration.start()
                await loop.run_in_executor(self.executor, manager.autostart)
                self._install_signals(loop)
                if ready is not None:
                    ready()
                assert self._stop is not None
                await self._stop.wait()
                log.info("xend stopping")
                migration.stop()
                await server.stop()
                await loop.run_in_executor(self.executor,
                                           self._on_xend_stop, manager)
            finally:
                migration.stop()
                await server.stop()
        finally:
            if watcher is not None:
                await loop.run_in_executor(self.executor, watcher.stop)
            self.executor.shutdown(wait=True, cancel_futures=True)
            hv.close()
            log.info("xend stopped")

    def _attach_xenstore(self, xenstore: XenstoreService, manager: Any,
                         hv: Hypervisor) -> Any:
        """Mirror xend's keys (all of them now, then after each change)
        and watch for domains going down.  Without a store (a host whose
        xenstored is not reachable) xend runs on, on libxl's events alone."""
        from xend.xs.mirror import XenstoreMirror
        from xend.xs.watches import DomainWatcher
        from xenstore.errors import StoreError
        try:
            store = xenstore.connect()
        except (XendError, StoreError) as exc:
            log.error("no Xenstore mirror or watches: %s", exc)
            return None
        mirror = XenstoreMirror(store)
        manager.on_change = mirror.domain_changed
        mirror.rebuild(manager.table.entries.values())

        def submit(work: Callable[[], None]) -> None:
            self.executor.submit(work).add_done_callback(_log_failure)
        watcher = DomainWatcher(store, hv, manager.table,
                                manager.handle_event, submit)
        watcher.start()
        return watcher

    def _event_forwarder(self, manager: Any) -> Callable[[DomainEvent], None]:
        loop = self._loop
        assert loop is not None

        def forward(event: DomainEvent) -> None:
            # Called from the backend's thread: hand over to the loop, which
            # queues the policy work in the executor.
            def submit() -> None:
                future = self.executor.submit(manager.handle_event, event)
                future.add_done_callback(_log_failure)
            try:
                loop.call_soon_threadsafe(submit)
            except RuntimeError:     # the loop is closing: xend is stopping
                pass
        return forward

    def _replay_shutdown(self, manager: Any, hv: Hypervisor,
                         domid: int) -> None:
        """A domain shut down while xend was not running: act on it now."""
        try:
            info = hv.domain_info(domid)
        except XendError:
            return
        event = DomainEvent("shutdown", domid, info.uuid,
                            info.shutdown_reason)
        future = self.executor.submit(manager.handle_event, event)
        future.add_done_callback(_log_failure)

    @staticmethod
    def _on_xend_stop(manager: Any) -> None:
        for entry in list(manager.table.entries.values()):
            policy = getattr(entry.config, "on_xend_stop", "ignore")
            if entry.domid is None or policy == "ignore":
                continue
            try:
                if policy == "shutdown":
                    manager.shutdown(entry.uuid)
                elif policy == "suspend" and entry.managed:
                    manager.suspend(entry.uuid)
            except XendError as exc:
                log.error("on_xend_stop=%s for %s failed: %s", policy,
                          entry.name, exc)

    # -- signals -------------------------------------------------------------------
    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.add_signal_handler(signal.SIGTERM, self.request_stop)
        loop.add_signal_handler(signal.SIGINT, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)

    def request_stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def reload(self) -> None:
        """SIGHUP: re-read the config; settings that can change live (the
        log level and file) are applied; the rest needs a restart."""
        try:
            new = load_config(self.config.path)
            setup_logging(new.logfile, new.loglevel, self.foreground)
        except XendError as exc:
            log.error("reload failed, keeping the old config: %s", exc)
            return
        changed = [k for k in ("hypervisor", "rpc_socket", "domains_path",
                               "state_path", "xenstored_socket")
                   if getattr(new, k) != getattr(self.config, k)]
        if changed:
            log.warning("reload: %s changed; restart xend to apply",
                        ", ".join(changed))
        log.info("configuration reloaded from %s", new.path)


def _log_failure(future: Any) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("domain event handling failed: %s", exc, exc_info=exc)


def serve(config: XendConfig, foreground: bool,
          ready: Callable[[], None] | None = None) -> None:
    """Run xend until it is asked to stop (blocking)."""
    asyncio.run(Xend(config, foreground).run(ready))
