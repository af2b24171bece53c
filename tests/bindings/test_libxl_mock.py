"""Real libxl code without Xen, under the LD_PRELOAD mock (mock_xen.c).

Each test runs in its own interpreter with the mock preloaded and the
extension built by the session fixture.  What runs here is libxl itself:
ctx alloc, the JSON parsers and printers, the logger, the event loop's
wake-up path, and the backend's host_info over mocked physinfo/version.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

import xlmock

pytestmark = pytest.mark.skipif(xlmock.mock_available() is not None,
                                reason=str(xlmock.mock_available()))

SAMPLES = ("pv", "pv2", "hvm")


def run(code: str, env: dict[str, str]) -> Any:
    return xlmock.run_python(textwrap.dedent(code), extra_env=env)


def test_ctx_alloc_succeeds_and_sets_child_mode(mock_env: dict[str, str]) -> None:
    out = run("""
        import json
        from bindings import Libxl
        xl = Libxl()
        ok = xl.ctx != xl.ffi.NULL
        xl.close(); xl.close()          # idempotent
        print(json.dumps(ok))
    """, mock_env)
    assert out is True


@pytest.mark.parametrize("name", SAMPLES)
def test_domain_config_json_round_trip_is_identical(
        mock_env: dict[str, str], data_dir: Path, name: str) -> None:
    doc = json.loads((data_dir / f"{name}.json").read_text())
    out = run(f"""
        import json
        from bindings import Libxl
        with Libxl() as xl:
            print(json.dumps(xl.roundtrip("domain_config", {doc!r})))
    """, mock_env)
    assert out == doc


def test_minimal_document_is_accepted_and_stable(
        mock_env: dict[str, str], data_dir: Path) -> None:
    doc = json.loads((data_dir / "minimal.json").read_text())
    out = run(f"""
        import json
        from bindings import Libxl
        with Libxl() as xl:
            once = xl.roundtrip("domain_config", {doc!r})
            print(json.dumps([once, xl.roundtrip("domain_config", once)]))
    """, mock_env)
    once, twice = out
    assert once == twice
    assert once["c_info"] == doc["c_info"]
    assert {k: once["b_info"][k] for k in doc["b_info"]} == doc["b_info"]


def test_bad_json_raises_invalid_argument_and_logs(
        mock_env: dict[str, str]) -> None:
    out = run("""
        import json, logging
        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append([record.levelname, record.getMessage()])
        logging.getLogger("xend.libxl").addHandler(Keep())
        from bindings import Libxl
        from xend.errors import XendError
        with Libxl() as xl:
            try:
                xl.roundtrip("domain_config", {"c_info": {"type": "bogus"}})
            except XendError as exc:
                result = [type(exc).__name__, str(exc)]
        print(json.dumps([result, records]))
    """, mock_env)
    (cls, msg), records = out
    assert cls == "InvalidArgument"
    assert msg.startswith("parsing libxl_domain_config JSON failed")
    # libxl's own complaint, routed through the C trampoline into logging
    assert any(level == "ERROR" and "libxl_json.c" in text
               for level, text in records)


def test_host_info_returns_the_mocked_values(mock_env: dict[str, str]) -> None:
    out = run("""
        import dataclasses, json
        from xend.hv import make_hypervisor
        hv = make_hypervisor("libxl")
        info = hv.host_info()
        sched = hv.scheduler()
        hv.close()
        print(json.dumps([dataclasses.asdict(info), sched]))
    """, mock_env)
    info, sched = out
    assert sched == "credit2"
    assert info["nr_cpus"] == 8
    assert info["nr_nodes"] == 1
    assert info["cores_per_socket"] == 4
    assert info["threads_per_core"] == 2
    assert info["cpu_mhz"] == 2400
    assert info["total_memory_kb"] == 16 * 1024 * 1024
    assert info["free_memory_kb"] == 4 * 1024 * 1024
    assert info["hw_caps"] == ("bfebfbff:2c100800:00000000:00000000:"
                               "00000000:00000000:00000000:00000000")
    assert info["virt_caps"] == ("pv hvm hvm_directio pv_directio hap "
                                 "shadow gnttab-v1")
    assert (info["xen_major"], info["xen_minor"], info["xen_extra"]) == \
        (4, 17, ".7-mock")
    assert info["xen_caps"] == "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_64"
    assert info["xen_scheduler"] == "credit2"
    assert info["xen_pagesize"] == 4096
    assert info["platform_params"] == "virt_start=0xffff800000000000"
    assert info["xen_changeset"] == "mock-changeset"
    assert info["xen_commandline"] == "dom0_mem=2048M,max:2048M mock=1"
    assert info["cc_compiler"] == "gcc (Mock 12.2.0)"
    assert info["cc_compile_by"] == "mockbuilder"
    assert info["cc_compile_domain"] == "mock.example"
    assert info["extra"]["max_cpu_id"] == "7"
    assert info["extra"]["scrub_memory_kb"] == "1024"


def test_host_topology_over_libxls_own_lists(mock_env: dict[str, str]) -> None:
    """libxl_get_cpu_topology / libxl_get_numainfo run for real over the
    mocked sysctls: the offline cpu slot and the memoryless node are left
    out, as xl info -n leaves them out."""
    out = run("""
        import dataclasses, json
        from xend.hv import make_hypervisor
        hv = make_hypervisor("libxl")
        topo = hv.host_topology()
        hv.close()
        print(json.dumps(dataclasses.asdict(topo)))
    """, mock_env)
    assert [(c["cpu"], c["core"], c["socket"], c["node"])
            for c in out["cpus"]] == [(i, i // 2, 0, 0) for i in range(8)]
    assert out["nodes"] == [{"node": 0, "total_kb": 16 * 1024 * 1024,
                             "free_kb": 4 * 1024 * 1024,
                             "distances": [10, 20], "dma32_free_kb": None}]


def test_event_thread_starts_and_stops(mock_env: dict[str, str]) -> None:
    # Nothing is armed (that needs Xenstore); this runs libxl's
    # beforepoll/poll/afterpoll loop in the shim and its wake-up pipe.
    out = run("""
        import json, time
        from bindings import Libxl
        from xend.hv.libxl_events import EventPump
        with Libxl() as xl:
            pump = EventPump(xl, lambda ev: None)
            pump.start()
            time.sleep(0.1)
            alive = pump._thread.is_alive()
            t0 = time.monotonic()
            pump.stop()
            print(json.dumps([alive, pump._thread.is_alive(),
                              time.monotonic() - t0 < 5]))
    """, mock_env)
    assert out == [True, False, True]


def test_validation_happens_before_libxl(mock_env: dict[str, str]) -> None:
    out = run("""
        import json
        from bindings import Libxl
        from xend.errors import XendError
        res = []
        with Libxl() as xl:
            for call in (lambda: xl.send_trigger(1, "explode"),
                         lambda: xl.send_sysrq(1, "ab"),
                         lambda: xl.device_add(1, "tpm", {}),
                         lambda: xl.device_remove(1, "disk", {})):
                try:
                    call()
                except XendError as exc:
                    res.append(type(exc).__name__)
        print(json.dumps(res))
    """, mock_env)
    assert out == ["InvalidArgument"] * 4


def test_context_without_xen_is_a_clear_hypervisor_error(
        built_module: Path) -> None:
    if os.path.exists("/dev/xen/privcmd") or os.path.exists("/proc/xen"):
        pytest.skip("this machine has Xen")
    code = textwrap.dedent("""
        import json
        from bindings import Libxl
        from xend.errors import XendError
        try:
            Libxl()
        except XendError as exc:
            print(json.dumps([type(exc).__name__, str(exc)]))
    """)
    cls, msg = xlmock.run_python(code, preload=False,
                                 extra_env={"XEND_LIBXL_CFFI":
                                            str(built_module)})
    assert cls == "HypervisorError"
    assert msg.startswith("libxl is not available: cannot open a libxl "
                          "context")
    assert "\n" not in msg


@pytest.mark.skipif(xlmock.xl_available() is not None,
                    reason=str(xlmock.xl_available()))
@pytest.mark.parametrize("name", ("pv", "hvm"))
def test_xl_dry_run_matches_reference_and_our_round_trip(
        mock_env: dict[str, str], data_dir: Path, name: str) -> None:
    xl_json = xlmock.xl_dry_run_json((data_dir / f"{name}.cfg").read_text())
    assert xl_json == json.loads((data_dir / f"{name}.json").read_text())
    ours = run(f"""
        import json
        from bindings import Libxl
        with Libxl() as xl:
            print(json.dumps(xl.roundtrip("domain_config", {xl_json!r})))
    """, mock_env)
    assert ours == xl_json


@pytest.mark.skipif(xlmock.xl_available() is not None,
                    reason=str(xlmock.xl_available()))
def test_cpuid_and_driver_domain_as_libxl_reads_them(
        mock_env: dict[str, str]) -> None:
    # Our bare cpuid array (the form every 4.17 reads), parsed and printed
    # by libxl, is what xl -N create makes of the same xl config.
    from xend.model.domconfig import DomainConfig
    from xend.model.libxl_json import to_libxl_json
    uuid = "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab"
    eax = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1"
    ours = to_libxl_json(DomainConfig(
        name="g", uuid=uuid, kernel="/boot/vmlinuz", memory=128,
        netif=True, cpuid=[f"0x1:eax={eax},edx=0x80000000",
                           "7,0:ebx=" + "s" * 32, "1:ecx=" + "k" * 32]))
    read = run(f"""
        import json
        from bindings import Libxl
        with Libxl() as xl:
            print(json.dumps(xl.roundtrip("domain_config", {ours!r})))
    """, mock_env)
    xl_json = xlmock.xl_dry_run_json(
        f'name="g"\nuuid="{uuid}"\nkernel="/boot/vmlinuz"\nmemory=128\n'
        f'vcpus=1\non_crash="restart"\ndriver_domain=1\n'
        f'cpuid=["0x1:eax={eax},edx=1{"0" * 31}", "7,0:ebx={"s" * 32}",'
        f' "1:ecx={"k" * 32}"]\n')
    assert read == xl_json
    assert read["c_info"]["driver_domain"] == "True"
    assert [leaf["leaf"] for leaf in read["b_info"]["cpuid"]["cpuid"]] == \
        [1, 7]


@pytest.mark.skipif(xlmock.xl_available() is not None,
                    reason=str(xlmock.xl_available()))
def test_xl_dry_run_reports_bad_configs() -> None:
    with pytest.raises(RuntimeError, match="xl -N create failed"):
        xlmock.xl_dry_run_json('name = "x"\nmemory = "lots"\n')


def test_libxl_encodings_the_backend_decodes(mock_env: dict[str, str]) -> None:
    # libxl's own printers, fed through its parsers, then our decoders:
    # event shutdown_reason is an integer, dominfo defaults are omitted,
    # and a fresh sched_params struct means "keep" (-1) for weight/cap.
    out = run("""
        import dataclasses, json
        from bindings import Libxl
        from bindings.events import decode_event
        from xend.hv import libxl_convert
        with Libxl() as xl:
            ev = [xl.roundtrip("event", {"domid": 5, "domuuid": u,
                                         "type.domain_shutdown":
                                         {"shutdown_reason": r}})
                  for u, r in (("6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab", 1),
                               ("6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab", 0))]
            death = xl.roundtrip("event", {"domid": 7,
                                           "type.domain_death": {}})
            dom = xl.roundtrip("dominfo", {"domid": 3, "shutdown": True,
                                           "shutdown_reason": "crash",
                                           "vcpu_max_id": 1,
                                           "domain_type": "pvh"})
            with xl.struct("domain_sched_params") as p:
                fresh = [p.sched, p.weight, p.cap]
            print(json.dumps({
                "raw": ev,
                "events": [dataclasses.asdict(decode_event(e))
                           for e in ev + [death]],
                "dom": dataclasses.asdict(libxl_convert.domain_info(dom)),
                "fresh": fresh}))
    """, mock_env)
    assert out["raw"][0]["type.domain_shutdown"] == {"shutdown_reason": 1}
    assert out["raw"][1]["type.domain_shutdown"] == {}      # 0 omitted
    reboot, poweroff, death = out["events"]
    assert (reboot["type"], reboot["domid"], reboot["shutdown_reason"]) == \
        ("domain_shutdown", 5, "reboot")
    assert reboot["uuid"] == "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab"
    assert poweroff["shutdown_reason"] == "poweroff"
    assert (death["type"], death["domid"]) == ("domain_death", 7)
    dom = out["dom"]
    assert (dom["domid"], dom["shutdown"], dom["shutdown_reason"],
            dom["vcpu_max"], dom["domain_type"]) == (3, True, "crash", 2,
                                                      "pvh")
    assert out["fresh"] == [0, -1, -1]
