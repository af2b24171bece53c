"""xend-config.sxp parsing."""

import pytest

from xend.daemon.config import load_config, parse_config
from xend.errors import ConfigError


def test_keys_and_defaults():
    cfg = parse_config("""
# comment
(hypervisor sim)
(xend-rpc-socket /tmp/x.sock)
(sim-host-memory 4096)
(sim-host-cpus 8)
(sim-scheduler credit2)
(dom0-min-mem 196)
(xend-relocation-hosts-allow '^localhost$ ^localhost\\\\.localdomain$')
(xend-http-server no)
(no-such-key 1)
""", "test.sxp")
    assert cfg.hypervisor == "sim"
    assert cfg.rpc_socket == "/tmp/x.sock"
    assert (cfg.sim_host_memory, cfg.sim_host_cpus) == (4096, 8)
    assert cfg.sim_scheduler == "credit2"
    assert cfg.dom0_min_mem == 196 and cfg.enable_dom0_ballooning
    assert cfg.relocation_hosts_allow.startswith("^localhost$")
    assert any("xend-http-server" in w for w in cfg.warnings)
    assert any("no-such-key" in w for w in cfg.warnings)


@pytest.mark.parametrize("text, message", [
    ("(sim-host-cpus many)", "bad value for sim-host-cpus"),
    ("(sim-host-cpus 0)", "positive"),
    ("(sim-stream-rate -1)", "bad value for sim-stream-rate"),
    ("(sim-stream-rate fast)", "bad value for sim-stream-rate"),
    ("(hypervisor kvm)", "bad value for hypervisor"),
    ("(logfile)", "takes one value"),
    ("(logfile", "test.sxp"),
])
def test_bad_values(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(text, "test.sxp")


def test_missing_named_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(str(tmp_path / "nope.sxp"))


def test_sim_stream_rate_reaches_the_simulator(tmp_path):
    from xend.daemon.main import backend_arguments
    from xend.hv import make_hypervisor
    assert parse_config("", "test.sxp").sim_stream_rate == 0
    cfg = parse_config(f"(hypervisor sim)\n(sim-stream-rate 256)\n"
                       f"(xend-state-path {tmp_path})\n", "test.sxp")
    assert cfg.sim_stream_rate == 256
    args = backend_arguments(cfg)
    assert args["stream_rate_kib"] == 256
    hv = make_hypervisor("sim", **args)
    try:
        assert hv._stream_rate_kib == 256   # type: ignore[attr-defined]
    finally:
        hv.close()
