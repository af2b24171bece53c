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


def _m(name: str, doc: str, *params: Param, fds: int = 0,
       modifies: bool = True) -> Method:
    return Method(name, tuple(params), doc, fds, modifies)


DOM = Param("dom", "dom")

METHODS: tuple[Method, ...] = (
    # -- daemon / node -----------------------------------------------------
    _m("xend.version", "Daemon version and hypervisor kind: "
       "{'version', 'hypervisor', 'api'}.", modifies=False),
    _m("xend.node.info", "Host information as a list of [key, value].",
       modifies=False),
    _m("xend.node.dmesg.info", "The hypervisor's console ring (str).",
       modifies=False),
    _m("xend.node.dmesg.clear", "Return the console ring and clear it."),
    _m("xend.node.log", "The whole xend log file (str).", modifies=False),
    # -- queries -----------------------------------------------------------
    _m("xend.domains_with_state", "Domain records (detail) or sorted names. "
       "state: all|running|paused|halted|suspended|crashed|unknown.",
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
    _m("xend.domain.send_trigger", "Send a trigger: nmi|reset|init|"
       "s3resume|power|sleep.", DOM, Param("trigger", "str"),
       Param("vcpu", "int", 0)),
    # -- save / restore (the request carries the open file) ------------------
    _m("xend.domain.save", "Save the domain into the passed file; "
       "checkpoint leaves it running. With path and temp (absolute paths; "
       "the passed file is temp, a .tmp-* file next to path), xend renames "
       "temp to path once the image is complete and removes it if the "
       "save fails or is cut short by a crash of xend.", DOM,
       Param("checkpoint", "bool", False), Param("path", "str|None", None),
       Param("temp", "str|None", None), fds=1),
    _m("xend.domain.restore", "Restore a domain from the passed file.",
       Param("paused", "bool", False), fds=1),
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
)

BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}
