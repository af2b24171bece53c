"""xm create -n with the real config loader and model (no xend needed).

These pin the outputs scripts depend on: xendomains (xm-compat §6.3) runs
``xm create --quiet --dryrun --defconfig FILE`` and takes the domain name
from the line ending in ``(name NAME)``.
"""

from __future__ import annotations

import json
import re

CONFIG = '''
kernel = "/boot/vmlinuz-test"
memory = 300
vcpus = 2
name = "auto1"
disk = ['phy:/dev/vg0/auto1,xvda,w']
vif = ['bridge=xenbr0']
extra = "root=/dev/xvda ro"
'''


def test_xendomains_dry_run(xm, fake, tmp_path):
    (tmp_path / "auto1.cfg").write_text(CONFIG)
    r = xm("create", "--quiet", "--dryrun", "--defconfig",
           str(tmp_path / "auto1.cfg"))
    assert (r.status, r.err) == (0, ""), r.err
    names = [m.group(1) for line in r.out.splitlines()
             if (m := re.match(r"^.*\(name (.*)\)$", line))]
    assert names == ["auto1"]
    assert r.out.startswith("(vm\n")
    assert fake.calls == []                 # a dry run asks xend nothing


def test_dry_run_json_and_overrides(xm, fake, tmp_path, monkeypatch):
    (tmp_path / "auto1.cfg").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    r = xm("create", "-n", "--json", "auto1.cfg", "memory=128", "name=other")
    assert r.status == 0, r.err
    assert r.err == 'Using config file "./auto1.cfg".\n'
    doc = json.loads(r.out)
    assert doc["c_info"]["name"] == "other"
    assert doc["b_info"]["target_memkb"] == 128 * 1024
    assert r.out.startswith("{\n    ")       # indent=4, like xl


def test_missing_config_file(xm, fake, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = xm("create", "nope.cfg")
    assert r.status == 1
    assert r.err == "Error: Unable to open config file: nope.cfg\n"
    assert fake.calls == []


def test_create_sends_the_config_dict(xm, fake, tmp_path, monkeypatch):
    (tmp_path / "auto1.cfg").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    fake.answers["xend.domain.create"] = \
        lambda cfg, paused: {"name": cfg["name"], "domid": 3}
    r = xm("create", "auto1.cfg")
    assert r.out == ('Using config file "./auto1.cfg".\n'
                     "Started domain auto1 (id=3)\n")
    (method, (config, paused), _), = fake.calls
    assert (method, paused) == ("xend.domain.create", False)
    assert config["name"] == "auto1"
    json.dumps(config)                      # it must cross the wire as JSON
