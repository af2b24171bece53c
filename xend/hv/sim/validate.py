"""libxl-like checks and defaults for a ``libxl_domain_config`` JSON document.

The simulator accepts what libxl accepts and refuses what it refuses:

* unknown keys are ignored, and so are keys whose JSON type is wrong (libxl's
  parser skips them, so the field keeps its default) -- the simulator keeps
  them in the stored config but computes with the default;
* a bad enum string, a bad UUID or MAC, a missing ``type.*`` union key in
  ``b_info`` or one that disagrees with ``c_info.type`` is an error
  (``InvalidArgument``);
* defaults follow libxl's setdefault: ``max_memkb`` 32 MiB, ``target_memkb``
  = ``max_memkb``, ``max_vcpus`` 1, all vcpus online, weight 256, cap 0.

The kernel and ramdisk of a PV guest booted without a bootloader must exist
on this host, as libxl reads them to build the domain (:func:`check_boot_files`,
checked at create, not at restore); tests give the simulator real files.
"""

from __future__ import annotations

import copy
import os
import re
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from xend.errors import HypervisorError, InvalidArgument
from xend.hv.base import JSON
from xend.hv.sim.vdev import vdev_to_devid
from xend.limits import MAX_VCPUS, memory_error

DOMAIN_TYPES = ("pv", "pvh", "hvm")
ACTIONS = ("destroy", "restart", "restart_rename", "preserve",
           "coredump_destroy", "coredump_restart", "soft_reset")
DISK_BACKENDS = ("unknown", "phy", "tap", "qdisk", "standalone")
DISK_FORMATS = ("unknown", "qcow", "qcow2", "vhd", "raw", "empty", "qed")
NIC_TYPES = ("unknown", "vif_ioemu", "vif")
# HVM graphics with qemu-xen: default and minimum video RAM (KiB).
VGA_VIDEO_KB = {"none": 0, "cirrus": 8 * 1024, "std": 16 * 1024,
                "qxl": 128 * 1024}
# libxl's LIBXL_MEMKB_DEFAULT resolves to 32 MiB in build_info_setdefault.
DEFAULT_MEMKB = 32 * 1024
DEFAULT_WEIGHT = 256
# DOMID_FIRST_RESERVED: ids from here on are special (DOMID_SELF, ...).
DOMID_FIRST_RESERVED = 0x7FF0

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


@dataclass
class DomainPlan:
    """What create/restore needs, derived from a validated config."""

    config: JSON
    name: str
    uuid: str
    domain_type: str
    domid: int | None
    max_memkb: int
    target_memkb: int
    max_vcpus: int
    online: list[int]
    affinity: list[list[int]]
    weight: int
    cap: int
    shadow_memkb: int = 0
    video_memkb: int = 0
    disks: list[JSON] = field(default_factory=list)
    nics: list[JSON] = field(default_factory=list)


def _int(value: Any, default: int) -> int:
    """An integer field as libxl reads it: a wrong JSON type is skipped."""
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return value


def _enum(where: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value is None:
        return
    if not isinstance(value, str) or value not in allowed:
        raise InvalidArgument(
            f"invalid {where} '{value}' (libxl accepts: {', '.join(allowed)})")


def _cpu_list(where: str, value: Any, host_cpus: int) -> list[int]:
    if not isinstance(value, list) or not value or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in value):
        raise InvalidArgument(f"{where}: a non-empty list of cpu numbers "
                              "is required")
    # Xen ignores CPUs the host does not have; only a map with none of
    # the host's CPUs is refused.
    present = sorted({c for c in value if 0 <= c < host_cpus})
    if not present:
        raise InvalidArgument(
            f"{where}: cpu {value[0]} does not exist (host has {host_cpus} "
            f"cpus, 0-{host_cpus - 1})")
    return present


def check_uuid(value: Any) -> str:
    if not isinstance(value, str) or not _UUID.match(value):
        raise InvalidArgument(f"invalid uuid '{value}'")
    return value.lower()


def check_mac(value: Any) -> str:
    if not isinstance(value, str) or not _MAC.match(value):
        raise InvalidArgument(f"invalid mac address '{value}'")
    return value.lower()


def normalize_disk(disk: Any) -> JSON:
    """A libxl_device_disk with libxl's defaults; devid from the vdev."""
    if not isinstance(disk, dict):
        raise InvalidArgument("a disk must be a JSON object")
    out = copy.deepcopy(disk)
    _enum("disk backend", out.get("backend"), DISK_BACKENDS)
    _enum("disk format", out.get("format"), DISK_FORMATS)
    vdev = out.get("vdev")
    vdev_to_devid(vdev)     # refuses a bad vdev
    if not out.get("pdev_path") and not _int(out.get("is_cdrom"), 0):
        raise InvalidArgument(f"disk {vdev}: no target (pdev_path) given")
    out["vdev"] = vdev
    out.setdefault("format", "raw")
    # libxl picks the backend at create: phy for block devices, qdisk else.
    if out.get("backend") in (None, "unknown"):
        path = str(out.get("pdev_path") or "")
        out["backend"] = "phy" if path.startswith("/dev/") else "qdisk"
    return out


def normalize_nic(nic: Any) -> JSON:
    """A libxl_device_nic; devid and mac are filled in by the caller."""
    if not isinstance(nic, dict):
        raise InvalidArgument("a nic must be a JSON object")
    out = copy.deepcopy(nic)
    _enum("nictype", out.get("nictype"), NIC_TYPES)
    if "mac" in out:
        out["mac"] = check_mac(out["mac"])
    if "devid" in out:
        devid = _int(out["devid"], -1)
        if devid < -1:
            raise InvalidArgument(f"invalid nic devid {out['devid']}")
        if devid == -1:
            del out["devid"]
    return out


def _c_info(config: JSON) -> tuple[JSON, str]:
    c_info = config.get("c_info")
    if not isinstance(c_info, dict):
        raise InvalidArgument("config has no c_info object")
    dtype = c_info.get("type")
    if dtype is None:
        raise InvalidArgument("c_info.type is required (pv, pvh or hvm)")
    _enum("domain type", dtype, DOMAIN_TYPES)
    return c_info, str(dtype)


def _b_info(config: JSON, dtype: str) -> JSON:
    b_info = config.get("b_info")
    if not isinstance(b_info, dict):
        raise InvalidArgument("config has no b_info object")
    keys = [k for k in b_info if k.startswith("type.")]
    if not keys:
        raise InvalidArgument(
            "invalid domain type: b_info has no type.pv/type.pvh/type.hvm")
    if len(keys) > 1 or keys[0] != f"type.{dtype}":
        raise InvalidArgument(
            f"b_info union key {', '.join(keys)} does not match "
            f"c_info.type '{dtype}'")
    if not isinstance(b_info[keys[0]], dict):
        raise InvalidArgument(f"b_info.{keys[0]} must be an object")
    return b_info


def validate_config(config: Any, host_cpus: int) -> DomainPlan:
    """Check ``config`` like libxl_domain_create_new; return the plan.

    Name and uuid uniqueness and memory are checked by the caller, which
    knows the other domains."""
    if not isinstance(config, dict):
        raise InvalidArgument("domain config must be a JSON object")
    config = copy.deepcopy(config)
    c_info, dtype = _c_info(config)
    b_info = _b_info(config, dtype)

    name = c_info.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidArgument("c_info.name is required")
    uuid = (check_uuid(c_info["uuid"]) if "uuid" in c_info
            else str(uuidlib.uuid4()))
    c_info["uuid"] = uuid
    domid = _int(c_info.get("domid"), 0)
    if domid < 0 or domid >= DOMID_FIRST_RESERVED:
        domid = 0     # INVALID_DOMID / RANDOM_DOMID: let the sim choose

    for key in ("on_poweroff", "on_reboot", "on_watchdog", "on_crash",
                "on_soft_reset"):
        _enum(key, config.get(key), ACTIONS)

    max_memkb = _int(b_info.get("max_memkb"), -1)
    target_memkb = _int(b_info.get("target_memkb"), -1)
    if max_memkb < 0 and target_memkb < 0:
        max_memkb = target_memkb = DEFAULT_MEMKB
    elif max_memkb < 0:
        max_memkb = target_memkb
    elif target_memkb < 0:
        target_memkb = max_memkb
    for key, value in (("max_memkb", max_memkb),
                       ("target_memkb", target_memkb)):
        problem = memory_error(key, value, "KiB")
        if problem:
            raise InvalidArgument(problem)
    if target_memkb > max_memkb:
        raise InvalidArgument(
            f"target_memkb ({target_memkb}) is above max_memkb "
            f"({max_memkb}): maxmem must be greater than or equal to memory")
    if target_memkb == 0:
        raise InvalidArgument("target_memkb must be greater than 0")
    b_info["max_memkb"], b_info["target_memkb"] = max_memkb, target_memkb

    max_vcpus = _int(b_info.get("max_vcpus"), 0) or 1
    if max_vcpus < 1 or max_vcpus > MAX_VCPUS[dtype]:
        raise InvalidArgument(
            f"max_vcpus {max_vcpus} out of range 1-{MAX_VCPUS[dtype]}")
    avail = b_info.get("avail_vcpus")
    if isinstance(avail, list) and avail:
        online = sorted({v for v in avail if isinstance(v, int)})
        if online and (online[0] < 0 or online[-1] >= max_vcpus):
            raise InvalidArgument(
                f"avail_vcpus {avail} has vcpus beyond max_vcpus "
                f"({max_vcpus})")
    else:
        online = list(range(max_vcpus))
    b_info["max_vcpus"], b_info["avail_vcpus"] = max_vcpus, online

    all_cpus = list(range(host_cpus))
    hard = b_info.get("vcpu_hard_affinity")
    if isinstance(hard, list) and hard:
        if len(hard) > max_vcpus:
            raise InvalidArgument(
                f"vcpu_hard_affinity has {len(hard)} entries for "
                f"{max_vcpus} vcpus")
        affinity = [_cpu_list(f"vcpu_hard_affinity[{i}]", cpus, host_cpus)
                    for i, cpus in enumerate(hard)]
        affinity += [all_cpus] * (max_vcpus - len(affinity))
    elif isinstance(b_info.get("cpumap"), list) and b_info["cpumap"]:
        cpus = _cpu_list("cpumap", b_info["cpumap"], host_cpus)
        affinity = [cpus] * max_vcpus
    else:
        affinity = [all_cpus] * max_vcpus

    # libxl_get_required_shadow_memory, the default libxl_domain_need_memory
    # counts for every guest type.
    shadow = _int(b_info.get("shadow_memkb"), -1)
    if shadow < 0:
        shadow = 4 * (256 * max_vcpus + 2 * (max_memkb // 1024))

    video = _video_memkb(b_info, dtype)

    sched = b_info.get("sched_params")
    sched = sched if isinstance(sched, dict) else {}
    weight = _int(sched.get("weight"), -1)
    cap = _int(sched.get("cap"), -1)
    weight = DEFAULT_WEIGHT if weight == -1 else weight
    cap = 0 if cap == -1 else cap
    check_sched(weight, cap, max_vcpus)

    if dtype == "pv":
        pv = b_info["type.pv"]
        # The deprecated type.pv.kernel/bootloader aliases still count.
        if not any(b_info.get(k) or pv.get(k)
                   for k in ("kernel", "bootloader")):
            raise InvalidArgument(
                "a PV domain needs a kernel or a bootloader")

    disks_in = config.get("disks") or []
    nics_in = config.get("nics") or []
    if not isinstance(disks_in, list) or not isinstance(nics_in, list):
        raise InvalidArgument("disks and nics must be JSON arrays")
    disks = [normalize_disk(d) for d in disks_in]
    seen: set[int] = set()
    for disk in disks:
        devid = vdev_to_devid(disk["vdev"])
        if devid in seen:
            raise InvalidArgument(f"duplicate disk vdev {disk['vdev']}")
        seen.add(devid)
    nics = [normalize_nic(n) for n in nics_in]
    return DomainPlan(config=config, name=name, uuid=uuid, domain_type=dtype,
                      domid=domid or None, max_memkb=max_memkb,
                      target_memkb=target_memkb, max_vcpus=max_vcpus,
                      online=online, affinity=affinity, weight=weight,
                      cap=cap, shadow_memkb=shadow, video_memkb=video,
                      disks=disks, nics=nics)


# libxl_error ERROR_FAIL: what libxl's domain build returns when it cannot
# load the kernel or ramdisk (it logs the file and errno).
ERROR_FAIL = -3


def check_boot_files(config: JSON) -> None:
    """Refuse a PV direct kernel boot whose kernel or ramdisk is not a file
    here, as libxl's build does (ERROR_FAIL); in xend 4.4's words."""
    c_info, b_info = config.get("c_info"), config.get("b_info")
    if not isinstance(c_info, dict) or not isinstance(b_info, dict) or \
            c_info.get("type") != "pv":
        return
    pv = b_info.get("type.pv")
    pv = pv if isinstance(pv, dict) else {}

    def value(key: str) -> Any:
        # the deprecated type.pv aliases count when the top level is unset
        return b_info.get(key) or pv.get(key)

    if value("bootloader"):
        return              # the bootloader finds them inside the guest
    for key, what in (("kernel", "Kernel image"),
                      ("ramdisk", "Kernel ramdisk")):
        path = value(key)
        if isinstance(path, str) and path and not os.path.isfile(path):
            exc = HypervisorError(f"{what} does not exist: {path}")
            exc.libxl_rc = ERROR_FAIL   # type: ignore[attr-defined]
            raise exc


def _video_memkb(b_info: JSON, dtype: str) -> int:
    """Video RAM an HVM guest's emulated graphics take from its memory
    (libxl__domain_build_info_setdefault, qemu-xen); 0 for PV/PVH."""
    if dtype != "hvm":
        return 0
    vga = b_info["type.hvm"].get("vga")
    kind = vga.get("kind") if isinstance(vga, dict) else None
    _enum("vga kind", kind, ("unknown",) + tuple(VGA_VIDEO_KB))
    kind = "cirrus" if kind in (None, "unknown") else kind
    minimum = VGA_VIDEO_KB[kind]
    video = _int(b_info.get("video_memkb"), -1)
    if video < 0:
        return minimum
    if video < minimum:
        raise InvalidArgument(f"videoram must be at least {minimum // 1024} "
                              f"MB for {kind.upper()} on QEMU_XEN")
    return video


def check_sched(weight: int, cap: int, max_vcpus: int) -> None:
    """libxl_sched.c's ranges (credit and credit2 alike)."""
    if weight < 1 or weight > 65535:
        raise InvalidArgument("Cpu weight out of range, valid values are "
                              "within range from 1 to 65535")
    if cap < 0 or cap > max_vcpus * 100:
        raise InvalidArgument(
            "Cpu cap out of range, valid range is from 0 to "
            f"{max_vcpus * 100} for specified number of vcpus")


def need_memkb(domain_type: str, target_memkb: int,
               shadow_memkb: int = 0) -> int:
    """libxl_domain_need_memory: target + shadow + per-type extra, rounded
    up to 2 MiB."""
    # LIBXL_PV_EXTRA_MEMORY 1024, LIBXL_HVM_EXTRA_MEMORY 2048 (KiB).
    need = target_memkb + shadow_memkb + (
        1024 if domain_type == "pv" else 2048)
    if need % 2048:
        need += 2048 - need % 2048
    return need
