"""xm create / new: option and argument handling around the config loader.

The loader (xm.config.loader) and the model translations are replaced by
fakes here, so these tests pin down xm's part only: what it passes to the
loader, what it prints, which RPC it makes.
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest

from xend.errors import ConfigError, DomainExists


class FakeConfig:
    def __init__(self, name: str) -> None:
        self.name = name

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "memory": 128}


@pytest.fixture
def loader(monkeypatch):
    calls: list[tuple[Any, ...]] = []
    mod = types.ModuleType("xm.config.loader")

    def build_config(defconfig, sxp_config, assignments, search_path=".:/etc/xen",
                     allow_python=False, warn=None):
        calls.append((defconfig, sxp_config, assignments, search_path,
                      allow_python))
        if defconfig == "missing":
            raise ConfigError("Unable to open config file: missing")
        given = dict(a.split("=", 1) for a in assignments)
        name = given.get("name", defconfig.split("/")[-1])
        return FakeConfig(name), (sxp_config or f"./{defconfig}")

    mod.build_config = build_config                 # type: ignore[attr-defined]
    mod.help_config = lambda: "name  Domain name.\n"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xm.config.loader", mod)
    import xm.config
    monkeypatch.setattr(xm.config, "loader", mod, raising=False)
    mod.calls = calls                               # type: ignore[attr-defined]
    return mod


@pytest.fixture
def created(fake):
    fake.answers["xend.domain.create"] = \
        lambda cfg, paused: {"name": cfg["name"], "domid": 12}
    return fake


def test_create_prints_config_file_and_started_domain(xm, created, loader):
    r = xm("create", "web1")
    assert (r.status, r.err) == (0, "")
    assert r.out == 'Using config file "./web1".\nStarted domain web1 (id=12)\n'
    assert loader.calls == [("web1", None, [], ".:/etc/xen", False)]
    assert created.calls == [("xend.domain.create",
                              ({"name": "web1", "memory": 128}, False), None)]


def test_create_quiet_paused_and_variables(xm, created, loader):
    r = xm("create", "-q", "web1", "memory=200", "-p", "vmid=3",
           "disk=a", "disk=b")
    assert (r.status, r.out) == (0, "")
    assert loader.calls[0][2] == ["memory=200", "vmid=3", "disk=a", "disk=b"]
    assert created.calls[0][1][1] is True


def test_create_defconfig_path_and_python(xm, created, loader):
    xm("create", "--quiet", "--defconfig", "/x/web1", "--path", "/a:/b",
       "--python-config")
    assert loader.calls == [("/x/web1", None, [], "/a:/b", True)]


def test_create_sxp_config(xm, created, loader):
    r = xm("create", "-F", "web.sxp")
    assert loader.calls[0][1] == "web.sxp"
    # no "Using config file": xm 4.4 printed it only when it searched
    assert r.out == "Started domain xmdefconfig (id=12)\n"


def test_xendomains_invocation(xm, created, loader, monkeypatch):
    """xm-compat §6.3: `xm create --quiet --dryrun --defconfig FILE` must
    print a line ending in (name NAME), and nothing else but the SXP."""
    import xend.model.to_sxp as to_sxp
    monkeypatch.setattr(to_sxp, "config_sxp", lambda cfg: [
        "vm", ["name", cfg.name], ["memory", 128],
        ["image", ["linux", ["kernel", "/boot/vmlinuz-" + "x" * 30]]]])
    r = xm("create", "--quiet", "--dryrun", "--defconfig", "/etc/xen/auto/web1")
    assert r.status == 0
    assert r.out == ("(vm\n"
                     "    (name web1)\n"
                     "    (memory 128)\n"
                     "    (image (linux (kernel /boot/vmlinuz-" + "x" * 30
                     + ")))\n)\n")
    assert created.calls == []


def test_dry_run_json(xm, created, loader, monkeypatch):
    import xend.model.libxl_json as libxl_json
    monkeypatch.setattr(libxl_json, "to_libxl_json",
                        lambda cfg, max_cpus=None: {"c_info": {"name": cfg.name}})
    r = xm("create", "-n", "--json", "web1")
    # stdout is the document alone; the file note goes to stderr
    assert r.out.startswith('{\n    "c_info"')
    assert json.loads(r.out) == {"c_info": {"name": "web1"}}
    assert r.err == 'Using config file "./web1".\n'
    assert created.calls == []


def test_help_config(xm, created, loader):
    r = xm("create", "--help_config")
    assert (r.status, r.out) == (0, "name  Domain name.\n")
    assert loader.calls == [] and created.calls == []


def test_config_error_is_one_line_without_usage(xm, created, loader):
    r = xm("create", "missing")
    assert (r.status, r.err) == (1, "Error: Unable to open config file: "
                                    "missing\n")


def test_xend_error_on_create_has_no_usage(xm, created, loader):
    created.answers["xend.domain.create"] = DomainExists(
        "VM name 'web1' already exists as domain 12")
    r = xm("create", "web1")
    assert r.status == 1
    assert r.err == "Error: VM name 'web1' already exists as domain 12\n"


# -- -c: the console once the domain is created -----------------------------

@pytest.fixture
def console(created, monkeypatch):
    """Attaching records itself among the calls, so order shows."""
    from xm import cmd_console
    created.answers["xend.domain.getConsolePath"] = \
        lambda dom, num: f"/dev/pts/{dom}"
    monkeypatch.setattr(cmd_console, "ATTACH", lambda path:
                        created.calls.append(("attach", (path,), None)))
    return created


def test_create_c_attaches_to_the_new_domain(xm, console, loader):
    r = xm("create", "-c", "web1")
    assert (r.status, r.err) == (0, "")
    assert r.out == 'Using config file "./web1".\nStarted domain web1 (id=12)\n'
    assert console.calls == [
        ("xend.domain.create", ({"name": "web1", "memory": 128}, False),
         None),
        ("xend.domain.getConsolePath", (12, 0), None),
        ("attach", ("/dev/pts/12",), None)]


def test_create_c_long_paused_and_quiet(xm, console, loader):
    # 4.4 attached to a domain left paused by -p as well
    r = xm("create", "web1", "--console_autoconnect", "-p", "-q")
    assert (r.status, r.out, r.err) == (0, "", "")
    assert console.methods() == ["xend.domain.create",
                                 "xend.domain.getConsolePath", "attach"]
    assert console.calls[0][1][1] is True
    r = xm("create", "-cp", "web1", "--console")   # getopt's prefix too
    assert r.status == 0 and console.methods()[-1] == "attach"


def test_create_c_with_dry_run_attaches_nothing(xm, console, loader,
                                                monkeypatch):
    import xend.model.to_sxp as to_sxp
    monkeypatch.setattr(to_sxp, "config_sxp",
                        lambda cfg: ["vm", ["name", cfg.name]])
    r = xm("create", "-c", "-n", "web1")
    assert (r.status, r.out) == (0, "(vm (name web1))\n")
    assert console.calls == []


def test_failed_create_opens_no_console(xm, console, loader):
    console.answers["xend.domain.create"] = DomainExists(
        "VM name 'web1' already exists as domain 12")
    r = xm("create", "-c", "web1")
    assert r.status == 1
    assert r.err == "Error: VM name 'web1' already exists as domain 12\n"
    assert console.methods() == ["xend.domain.create"]
    r = xm("create", "-c", "missing")
    assert r.status == 1 and console.methods() == ["xend.domain.create"]


def test_create_c_when_the_console_is_gone(xm, console, loader):
    """The domain was created (and said so) but died before the console
    could be found: the error is the one xm console gives."""
    from xend.errors import InvalidState
    console.answers["xend.domain.getConsolePath"] = InvalidState(
        "Domain '12' is not started")
    r = xm("create", "-c", "web1")
    assert r.status == 1
    assert r.out.endswith("Started domain web1 (id=12)\n")
    assert r.err == "Error: Domain '12' is not started\n"
    assert "attach" not in console.methods()


def test_new_has_no_console_option(xm, fake, loader):
    r = xm("new", "-c", "web1")
    assert r.status == 1 and r.err.startswith("Error: option -c not recognized")
    assert fake.calls == []


def test_new(xm, fake, loader):
    r = xm("new", "web1")
    assert (r.status, r.out) == (0, 'Using config file "./web1".\n')
    assert fake.calls == [("xend.domain.new",
                           ({"name": "web1", "memory": 128},), None)]


def test_new_has_no_paused_option(xm, fake, loader):
    r = xm("new", "-p", "web1")
    assert r.status == 1 and r.err.startswith("Error: option -p not recognized")
