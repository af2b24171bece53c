"""The RPC surface of xend: every method's name, parameters and meaning.

This table is the contract between xm and xend.  The daemon registers one
handler per entry (and refuses to start if one is missing); xm's command
table may only call names listed here (a test checks both directions).
Names keep the legacy ``xend.domain.*`` / ``xend.node.*`` spelling.

Parameter types are checked by the daemon before a handler runs: ``dom`` is a
domain reference (name, numeric id or uuid; str or int), ``str``, ``int``,
``bool``, ``dict``, ``list``, ``str|None``, ``int|None``.  A trailing
parameter with a default may be omitted.

Domain records (``Record`` below) are JSON objects::

    {"name": str, "domid": int|None, "uuid": str,
     "memory": int,  "maxmem": int,          # MiB (target, maximum)
     "vcpus": int, "online_vcpus": int,
     "state": str,                           # "r-----" ..., "" if not running
     "status": int,                          # 0 Halted 1 Paused 2 Running
                                             # 3 Suspended 4 ShuttingDown
                                             # 5 Crashed 6 Unknown
     "power_state": str,                     # halted|paused|running|...
     "cpu_time": float,                      # seconds
     "start_time": float|None, "uptime": float,   # seconds
     "managed": bool,
     "paused_by_admin": bool,                # paused with xm pause (4.4's
                                             # pause flag, xm domstate)
     "cpu_weight": int, "cpu_cap": int,
     "sxp": list}                            # only when full=True: the
                                             # (domain ...) SXP as nested lists
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object = ...      # ... = required

    @property
    def required(self) -> bool:
        return self.default is ...


@dataclass(frozen=True)
class Method:
    name: str
    params: tuple[Param, ...]
    doc: str
    fds: int = 0               # file descriptors the request must carry
    modifies: bool = True
    progress: bool = False     # sends "progress" notifications meanwhile


def _m(name: str, doc: str, *params: Param, fds: int = 0,
       modifies: bool = True, progress: bool = False) -> Method:
    return Method(name, tuple(params), doc, fds, modifies, progress)


DOM = Param("dom", "dom")

METHODS: tuple[Method, ...] = (
    # -- daemon / node -----------------------------------------------------
    _m("xend.version", "Daemon version and hypervisor kind: "
       "{'version', 'hypervisor', 'api'}.", modifies=False),
    _m("xend.node.info", "Host information as a list of [key, value]; "
       "numa_flag adds cpu_topology and numa_info (xm info -n).",
       Param("numa_flag", "bool", False), modifies=False),
    _m("xend.node.dmesg.info", "The hypervisor's console ring (str).",
       modifies=False),
    _m("xend.node.dmesg.clear", "Return the console ring and clear it."),
    _m("xend.node.log", "The whole xend log file (str).", modifies=False),
    _m("xend.node.send_debug_keys", "Press keys (printable ASCII, e.g. 'h') "
       "on Xen's console; their output goes to the console ring.",
       Param("keys", "str")),
    # -- queries -----------------------------------------------------------
    _m("xend.domains_with_state", "Domain records (detail) or sorted names. "
       "state: all|running|paused|halted|suspended|crashed|unknown, any "
       "case (halted includes shutting down; another name matches none).",
       Param("detail", "bool", True), Param("state", "str", "all"),
       Param("full", "bool", False), modifies=False),
    _m("xend.domain", "One domain's record.", DOM,
       Param("full", "bool", False), modifies=False),
    _m("xend.domain.getVCPUInfo", "List of vcpu dicts: {vcpu, cpu, online, "
       "blocked, running, cpu_time, affinity:[int], nr_host_cpus}.", DOM,
       modifies=False),
    _m("xend.domain.getRestartCount", "How often xend restarted the domain.",
       DOM, modifies=False),
    # -- lifecycle -----------------------------------------------------------
    _m("xend.domain.create", "Create and start a domain from a DomainConfig "
       "dict; paused if asked. Returns the record.",
       Param("config", "dict"), Param("paused", "bool", False)),
    _m("xend.domain.new", "Register a managed domain (not started). Returns "
       "the record.", Param("config", "dict")),
    _m("xend.domain.delete", "Remove a halted managed domain.", DOM),
    _m("xend.domain.start", "Start a halted managed domain.", DOM,
       Param("paused", "bool", False)),
    _m("xend.domain.suspend", "Save a managed domain to its checkpoint "
       "file and stop it.", DOM),
    _m("xend.domain.resume", "Restore a suspended managed domain.", DOM,
       Param("paused", "bool", False)),
    _m("xend.domain.destroy", "Hard kill (refused for Domain-0).", DOM),
    _m("xend.domain.shutdown", "Ask the guest to stop. reason: "
       "poweroff|halt|reboot.", DOM, Param("reason", "str", "poweroff")),
    _m("xend.domain.reset", "Hard reset (destroy and recreate).", DOM),
    _m("xend.domain.pause", "Pause.", DOM),
    _m("xend.domain.unpause", "Unpause.", DOM),
    _m("xend.domain.setName", "Rename.", DOM, Param("name", "str")),
    _m("xend.domain.send_sysrq", "Send a sysrq letter.", DOM,
       Param("key", "str")),
    _m("xend.domain.dump", "Write the domain's core (ELF) to filename "
       "(absolute; None: <xend-dump-path>/<name>/<YYYY-MMDD-HHMM.SS>-"
       "<name>.<domid>.core); paused meanwhile unless live; then destroyed "
       "(crash) or reset (reset). Returns the file written.", DOM,
       Param("filename", "str|None", None), Param("live", "bool", False),
       Param("crash", "bool", False), Param("reset", "bool", False)),
    _m("xend.domain.send_trigger", "Send a trigger: nmi|reset|init|"
       "s3resume|power|sleep.", DOM, Param("trigger", "str"),
       Param("vcpu", "int", 0)),
    # -- save / restore (the request carries the open file) ------------------
    _m("xend.domain.save", "Save the domain into the passed file; "
       "checkpoint leaves it running. With path and temp (absolute paths; "
       "the passed file is temp, a .tmp-* file next to path), xend renames "
       "temp to path once the image is complete and removes it if the "
       "save fails or is cut short by a crash of xend. format: xm "
       "(LinuxGuestRecord, what xendomains expects) or xl (a file xl "
       "restore reads).", DOM,
       Param("checkpoint", "bool", False), Param("path", "str|None", None),
       Param("temp", "str|None", None), Param("format", "str", "xm"),
       fds=1),
    _m("xend.domain.restore", "Restore a domain from the passed file, "
       "written by xm save (either format) or by xl save.",
       Param("paused", "bool", False), fds=1),
    # -- migration ------------------------------------------------------------
    _m("xend.domain.migrate", "Live (live) or not, move a running domain to "
       "the relocation server of host dst (port 0: the configured one; "
       "ssl None: xend-relocation-ssl); chs moves a managed domain's "
       "home. Blocks until done; sends progress notifications "
       "{phase, image_sent, rate, iteration, dirty, sent, total}.", DOM,
       Param("dst", "str"), Param("live", "bool", False),
       Param("port", "int", 0), Param("node", "int", -1),
       Param("ssl", "bool|None", None), Param("chs", "bool", False),
       progress=True),
    _m("xend.domain.migrate_send_xl", "Migrate to a host running plain xl "
       "with xl's protocol on the two passed descriptors (read: from the "
       "remote 'xl migrate-receive', write: to it).", DOM,
       Param("live", "bool", True), fds=2),
    _m("xend.domain.migrate_receive_xl", "Receive a domain that 'xl "
       "migrate' sends, with xl's protocol on the two passed descriptors "
       "(read: from xl, write: to xl). Returns the record.",
       Param("paused", "bool", False), fds=2),
    # -- memory / vcpus / scheduler ------------------------------------------
    _m("xend.domain.setMemoryTarget", "Balloon target in MiB.", DOM,
       Param("memory", "int")),
    _m("xend.domain.maxmem_set", "Maximum memory in MiB.", DOM,
       Param("memory", "int")),
    _m("xend.domain.setVCpuCount", "Number of online vcpus.", DOM,
       Param("vcpus", "int")),
    _m("xend.domain.pincpu", "Pin vcpu (int, or -1 for all) to cpus "
       "('0-3,5,^1' or 'all').", DOM, Param("vcpu", "int"),
       Param("cpus", "str")),
    _m("xend.domain.sched_credit_get", "{'weight', 'cap'}.", DOM,
       modifies=False),
    _m("xend.domain.sched_credit_set", "Set weight and/or cap (None keeps).",
       DOM, Param("weight", "int|None", None), Param("cap", "int|None", None)),
    _m("xend.domain.sched_credit2_get", "{'weight'}.", DOM, modifies=False),
    _m("xend.domain.sched_credit2_set", "Set weight.", DOM,
       Param("weight", "int|None", None)),
    _m("xend.node.scheduler", "The hypervisor's scheduler name.",
       modifies=False),
    # -- devices and console -------------------------------------------------
    _m("xend.domain.device_create", "Attach a device. kind: vbd (spec: "
       "{uname, dev, mode[, backend]}) or vif (spec: xm vif keys, e.g. "
       "{bridge, mac, rate}). Running: hot-plugged and recorded in the "
       "config; halted managed: config only. Returns {devid, dev|mac}.",
       DOM, Param("kind", "str"), Param("spec", "dict")),
    _m("xend.domain.destroyDevice", "Detach a device: kind vbd (dev: name "
       "like xvdb or number like 51728) or vif (dev: devid or MAC); force "
       "skips the guest's cooperation.", DOM, Param("kind", "str"),
       Param("dev", "str"), Param("force", "bool", False)),
    _m("xend.domain.getDeviceSxprs", "Devices of kind vbd|vif as "
       "[devid, [[key, value], ...]] with the frontend keys (backend-id, "
       "state, event-channel, ring-ref, backend, mac, handle, tx-ring-ref, "
       "rx-ring-ref); a halted domain lists its configured devices.", DOM,
       Param("kind", "str"), modifies=False),
    _m("xend.domain.getConsolePath", "Path of the pty of console num "
       "(0 = primary) of a running domain; the client opens it.", DOM,
       Param("num", "int", 0), modifies=False),
    _m("xend.domain.getVncDisplay", "Where a running domain's VNC server "
       "listens: {listen, port, display, password}; password (the "
       "config's, else None) only when asked for.", DOM,
       Param("password", "bool", False), modifies=False),
)

BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}
