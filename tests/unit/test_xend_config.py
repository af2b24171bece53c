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
