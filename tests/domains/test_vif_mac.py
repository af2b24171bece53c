"""A vif configured without a MAC gets one at create (or ``xm new``) and
keeps it: across a restart by policy, save/restore, managed start/stop and
an xend restart (xend 4.4 kept it in the domain's config)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.domains.test_manager import Daemon, cfg, domid_of

MAC = re.compile(r"^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$")


@pytest.fixture
def daemon(tmp_path: Path):
    d = Daemon(tmp_path)
    yield d
    d.close()


def live_macs(d: Daemon, name: str) -> list[str]:
    domid = domid_of(d, name)
    assert domid is not None
    return [n["mac"] for n in d.hv.domain_config(domid)["nics"]]


def kept_macs(d: Daemon, name: str) -> list[str | None]:
    return [v.mac for v in d.table.lookup(name).config.vifs]


def test_create_chooses_the_mac_once(daemon: Daemon):
    daemon.m.create(cfg("c", vifs=[{"bridge": "xenbr0"},
                                   {"mac": "00:16:3e:00:00:01"}, {}]))
    macs = kept_macs(daemon, "c")
    print("chosen:", macs)
    assert macs[1] == "00:16:3e:00:00:01"
    assert all(MAC.match(str(m)) for m in macs) and len(set(macs)) == 3
    assert live_macs(daemon, "c") == macs


def test_mac_survives_a_restart_by_policy(daemon: Daemon):
    daemon.m.create(cfg("r", vifs=[{"bridge": "xenbr0"}]))
    before, old = live_macs(daemon, "r"), domid_of(daemon, "r")
    for _ in range(2):
        daemon.m.shutdown("r", "reboot")
        daemon.wait(lambda: domid_of(daemon, "r") not in (None, old))
        old = domid_of(daemon, "r")
        print(f"rebooted as {old}: {live_macs(daemon, 'r')} (was {before})")
        assert live_macs(daemon, "r") == before
    assert daemon.m.restart_count("r") == 2


def test_mac_survives_save_and_restore(daemon: Daemon, tmp_path: Path):
    daemon.m.create(cfg("s", vifs=[{"bridge": "xenbr0"}]))
    before = live_macs(daemon, "s")
    image = tmp_path / "s.chk"
    for _ in range(2):
        with open(image, "w+b") as f:
            daemon.m.save("s", f)
            f.seek(0)
            daemon.m.restore(f)
        print("restored:", live_macs(daemon, "s"), "was", before)
        assert live_macs(daemon, "s") == before


def test_restore_of_an_image_without_macs_keeps_what_it_chose(
        daemon: Daemon, tmp_path: Path):
    """An image saved before MACs were chosen up front: the MAC chosen at
    restore is recorded, so the next save/restore keeps it."""
    daemon.m.create(cfg("o", vifs=[{"bridge": "xenbr0"}]))
    entry = daemon.table.lookup("o")
    entry.config = daemon.m.with_changes(
        entry.config, vifs=[daemon.m.with_changes(v, mac=None)
                            for v in entry.config.vifs])
    image = tmp_path / "o.chk"
    with open(image, "w+b") as f:
        daemon.m.save("o", f)
        f.seek(0)
        daemon.m.restore(f)
    chosen = kept_macs(daemon, "o")
    assert MAC.match(str(chosen[0])) and live_macs(daemon, "o") == chosen
    with open(image, "w+b") as f:
        daemon.m.save("o", f)
        f.seek(0)
        daemon.m.restore(f)
    assert live_macs(daemon, "o") == chosen


def test_managed_mac_is_kept_across_start_stop_and_xend_restart(
        tmp_path: Path):
    d = Daemon(tmp_path)
    uuid = d.m.new(cfg("m", vifs=[{"bridge": "xenbr0"}]))
    on_disk = json.loads((tmp_path / "domains" / uuid / "config.json")
                         .read_text())["config"]["vifs"]
    mac = on_disk[0]["mac"]
    assert MAC.match(mac)
    seen = []
    try:
        for _ in range(2):
            d.m.start("m")
            seen.append(live_macs(d, "m"))
            d.m.destroy("m")
        d.m.start("m")
        seen.append(live_macs(d, "m"))
    finally:
        d.close()
    d = Daemon(tmp_path)             # xend restarted: re-attached
    try:
        seen.append(live_macs(d, "m"))
        d.m.destroy("m")
        d.m.start("m")
        seen.append(live_macs(d, "m"))
    finally:
        d.close()
    print("MACs seen:", seen)
    assert seen == [[mac]] * 5


def test_managed_config_from_before_gets_a_mac_kept_at_start(
        tmp_path: Path):
    d = Daemon(tmp_path)
    uuid = d.m.new(cfg("old"))
    d.close()
    path = tmp_path / "domains" / uuid / "config.json"
    data = json.loads(path.read_text())
    data["config"]["vifs"] = [{"bridge": "xenbr0"}]      # no mac, as before
    path.write_text(json.dumps(data))
    d = Daemon(tmp_path)
    try:
        d.m.start("old")
        first = live_macs(d, "old")
        stored = json.loads(path.read_text())["config"]["vifs"][0]["mac"]
        d.m.destroy("old")
        d.m.start("old")
        assert live_macs(d, "old") == first == [stored]
    finally:
        d.close()


def test_network_attach_to_a_halted_domain_keeps_its_mac(daemon: Daemon):
    daemon.m.new(cfg("h"))
    added = daemon.m.device_create("h", "vif", {"bridge": "xenbr0"})
    assert MAC.match(str(added["mac"]))
    daemon.m.start("h")
    assert live_macs(daemon, "h") == [added["mac"]]
