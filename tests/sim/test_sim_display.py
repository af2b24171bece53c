"""Simulator-only: the device model's VNC server (xend.hv.sim.display).

Which port an HVM guest's or a PV framebuffer's VNC server gets under
libxl's defaults, the console/vnc-* keys libxl writes for it, and
``vnc_display`` reading them back as the libxl backend does.
"""

from __future__ import annotations

from typing import Any

import pytest
from sim_fakestore import FakeStore
from sim_helpers import MakeSim, hvm_config, pv_config

from xend.errors import DomainNotFound, HypervisorError, InvalidArgument
from xend.hv import vncinfo
from xend.hv.sim.display import choose_port, vnc_settings


def hvm(vnc: dict[str, Any], **kw: Any) -> dict[str, Any]:
    config = hvm_config(**kw)
    config["b_info"]["type.hvm"]["vnc"] = vnc
    return config


def pv_vfb(vnc: dict[str, Any]) -> dict[str, Any]:
    return pv_config(vfbs=[{"devid": 0, "vnc": vnc, "sdl": {}}],
                     vkbs=[{"devid": 0}])


@pytest.mark.parametrize("config, expected", [
    (hvm({}), {"listen": "127.0.0.1", "display": 0, "findunused": True,
               "passwd": ""}),
    (hvm({"enable": "False"}), None),
    (hvm({"enable": "True", "listen": "0.0.0.0", "display": 3,
          "findunused": "False", "passwd": "pw"}),
     {"listen": "0.0.0.0", "display": 3, "findunused": False,
      "passwd": "pw"}),
    (hvm({"listen": "10.0.0.1:7"}), {"listen": "10.0.0.1", "display": 7,
                                     "findunused": True, "passwd": ""}),
    (pv_config(), None),
    (pv_vfb({}), {"listen": "127.0.0.1", "display": 0, "findunused": True,
                  "passwd": ""}),
    (pv_vfb({"enable": "False"}), None),
], ids=["hvm-defaults", "hvm-off", "hvm-set", "listen-with-display",
        "pv-no-vfb", "pv-vfb", "pv-vfb-off"])
def test_settings_follow_libxl_defaults(config: dict[str, Any],
                                        expected: Any) -> None:
    assert vnc_settings(config) == expected


def test_listen_with_display_refuses_a_display_too() -> None:
    with pytest.raises(InvalidArgument, match="vnclisten contains display"):
        vnc_settings(hvm({"listen": "0.0.0.0:1", "display": 2}))


@pytest.mark.parametrize("config", [
    hvm({"display": -1}), hvm({"display": "3"}), hvm({"display": 60000}),
    hvm({"listen": "h:x"}), hvm({"listen": "h:99999"}),
    pv_config(vfbs=["vnc=1"]), pv_config(vfbs={"vnc": {}}),
    pv_config(vfbs=[{"vnc": "yes"}])])
def test_bad_settings_are_invalid_arguments(config: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        vnc_settings(config)


def test_choose_port() -> None:
    unused = {"display": 1, "findunused": True}
    assert choose_port(unused, []) == 5901
    assert choose_port(unused, [5901, 5902]) == 5903
    fixed = {"display": 1, "findunused": False}
    with pytest.raises(HypervisorError, match="no free VNC port from 5901"):
        choose_port(fixed, [5901])
    with pytest.raises(HypervisorError):
        choose_port(unused, range(5901, 6001))


def test_ports_keys_and_vnc_display(make_sim: MakeSim) -> None:
    store = FakeStore()
    sim = make_sim(store=store)
    first = sim.create(hvm({"passwd": "s3cret"}))
    second = sim.create(pv_vfb({"listen": "0.0.0.0"}))
    plain = sim.create(pv_config())
    assert sim.vnc_display(first) == {"listen": "127.0.0.1", "port": 5900,
                                      "password": "s3cret"}
    assert sim.vnc_display(second) == {"listen": "0.0.0.0", "port": 5901,
                                       "password": None}
    assert sim.vnc_display(plain) is None
    # the keys libxl writes, and what reading them back gives
    base = f"/local/domain/{first}/console"
    assert store.read(f"{base}/vnc-listen") == "127.0.0.1"
    assert store.read(f"{base}/vnc-port") == "5900"
    assert store.read(f"{base}/vnc-pass") == "s3cret"
    assert store.read(f"/local/domain/{second}/console/vnc-pass") is None
    assert store.read(f"/local/domain/{plain}/console/vnc-port") is None
    for domid in (first, second, plain):
        assert vncinfo.from_keys(store.read, domid) == sim.vnc_display(domid)
    # a destroyed domain's port is free again
    sim.destroy(first)
    third = sim.create(hvm({}))
    assert sim.vnc_display(third)["port"] == 5900   # type: ignore[index]
    with pytest.raises(DomainNotFound):
        sim.vnc_display(first)


def test_fixed_display_in_use_fails_the_create(make_sim: MakeSim) -> None:
    sim = make_sim()
    sim.create(hvm({"display": 2}))
    before = len(sim.list_domains())
    with pytest.raises(HypervisorError, match="no free VNC port"):
        sim.create(hvm({"display": 2, "findunused": "False"}))
    assert len(sim.list_domains()) == before


def test_the_port_survives_a_new_simulator(make_sim: MakeSim) -> None:
    sim = make_sim()
    domid = sim.create(hvm({"display": 4}))
    sim.close()
    again = make_sim()
    assert again.vnc_display(domid) == {"listen": "127.0.0.1", "port": 5904,
                                        "password": None}
