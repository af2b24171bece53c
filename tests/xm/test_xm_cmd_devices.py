"""block-*, network-* and console with a fake xend: arguments, requests,
output and errors."""

from __future__ import annotations

import pytest

from xend.errors import InvalidArgument, InvalidState, XendError
from xm import cmd_console

DISKS = [[51712, [["backend-id", 0], ["virtual-device", 51712],
                  ["state", 4], ["backend", "/local/domain/0/backend/vbd/7/"
                                            "51712"],
                  ["ring-ref", 8], ["event-channel", 10]]]]
NICS = [[0, [["backend-id", 0], ["mac", "00:16:3e:12:34:56"], ["handle", 0],
             ["state", 4], ["backend", "/local/domain/0/backend/vif/7/0"],
             ["tx-ring-ref", 768], ["rx-ring-ref", 769],
             ["event-channel", 10]]]]

ONE_CALL = [
    (["block-attach", "guest1", "phy:/dev/vg/x", "xvdb", "w"],
     ("guest1", "vbd", {"uname": "phy:/dev/vg/x", "dev": "xvdb",
                        "mode": "w"})),
    (["block-attach", "guest1", "tap:aio:/img", "xvdc", "r", "1"],
     ("guest1", "vbd", {"uname": "tap:aio:/img", "dev": "xvdc", "mode": "r",
                        "backend": "1"})),
    (["vbd-create", "7", "file:/img", "hdc:cdrom", "r"],
     ("7", "vbd", {"uname": "file:/img", "dev": "hdc:cdrom", "mode": "r"})),
    (["network-attach", "guest1"], ("guest1", "vif", {})),
    (["network-attach", "guest1", "bridge=xenbr1", "rate=10Mb/s",
      "mac=00:16:3e:00:00:01", "type=ioemu", "ip=10.0.0.2", "script=vif-nat",
      "backend=0", "vifname=v1", "model=e1000", "accel=x"],
     ("guest1", "vif", {"bridge": "xenbr1", "rate": "10Mb/s",
                        "mac": "00:16:3e:00:00:01", "type": "ioemu",
                        "ip": "10.0.0.2", "script": "vif-nat", "backend": "0",
                        "vifname": "v1", "model": "e1000", "accel": "x"})),
]


@pytest.mark.parametrize("args,params", ONE_CALL,
                         ids=lambda v: " ".join(v) if isinstance(v, list)
                         else None)
def test_attach_requests(xm, fake, args, params):
    r = xm(*args)
    assert (r.status, r.out) == (0, ""), r.err
    assert r.err in ("", "Command vbd-create is deprecated.  Please use xm "
                     "block-attach instead.\n")
    assert fake.calls == [("xend.domain.device_create", params, None)]


@pytest.mark.parametrize("args,params", [
    (["block-detach", "guest1", "xvdb"], ("guest1", "vbd", "xvdb", False)),
    (["block-detach", "guest1", "51728", "-f"],
     ("guest1", "vbd", "51728", True)),
    (["vbd-destroy", "guest1", "--force", "xvdb"],
     ("guest1", "vbd", "xvdb", True)),
    (["network-detach", "guest1", "1"], ("guest1", "vif", "1", False)),
    (["network-detach", "guest1", "00:16:3e:00:00:01", "--fo"],
     ("guest1", "vif", "00:16:3e:00:00:01", True)),
])
def test_detach_requests(xm, fake, args, params):
    r = xm(*args)
    assert (r.status, r.out) == (0, ""), r.err
    assert fake.calls == [("xend.domain.destroyDevice", params, None)]


@pytest.mark.parametrize("word", ["speed=fast", "bridge=", "bridge",
                                  "ip=a=b", "=x"])
def test_network_attach_refuses_bad_keywords_like_4_4(xm, fake, word):
    r = xm("network-attach", "guest1", "bridge=xenbr0", word)
    assert r.status == 1
    assert r.err.startswith(f"Error: Invalid argument: {word}\n"
                            "Usage: xm network-attach <Domain> [type=<type>]")
    assert fake.calls == []


def test_network_attach_takes_at_most_ten_keywords(xm, fake):
    r = xm("network-attach", "guest1", *["bridge=b"] * 11)
    assert r.status == 1 and "between 1 and 11 arguments" in r.err
    assert fake.calls == []


@pytest.mark.parametrize("args", [["block-attach", "guest1", "phy:/x", "xvdb"],
                                  ["block-detach", "guest1"],
                                  ["network-detach", "guest1"],
                                  ["block-list"], ["network-list"]])
def test_arity(xm, fake, args):
    r = xm(*args)
    assert r.status == 1 and r.err.startswith(f"Error: 'xm {args[0]}' "
                                              "requires")
    assert fake.calls == []


def test_lists(xm, fake):
    fake.answers["xend.domain.getDeviceSxprs"] = \
        lambda dom, kind: DISKS if kind == "vbd" else NICS
    r = xm("block-list", "guest1")
    assert r.out == ("Vdev  BE handle state evt-ch ring-ref BE-path\n"
                     "51712  0    0     4      10     8     "
                     "/local/domain/0/backend/vbd/7/51712  \n")
    assert xm("vbd-list", "guest1").out == r.out
    r = xm("network-list", "guest1")
    assert r.out.splitlines()[1] == (
        "0   0  00:16:3e:12:34:56    0     4      10    768  /769     "
        "/local/domain/0/backend/vif/7/0  ")
    assert xm("vif-list", "guest1").out == r.out
    assert xm("network-list", "guest1", "--long").out.startswith(
        "(0\n    ((backend-id 0)\n")
    assert xm("block-list", "-l", "guest1").out.startswith("(51712\n")
    assert ("xend.domain.getDeviceSxprs", ("guest1", "vif"), None) in \
        fake.calls


def test_empty_lists_print_nothing(xm, fake):
    fake.answers["xend.domain.getDeviceSxprs"] = []
    for cmd in ("block-list", "network-list"):
        assert (xm(cmd, "guest1").status, xm(cmd, "guest1").out) == (0, "")


def test_xend_errors(xm, fake):
    fake.answers["xend.domain.destroyDevice"] = \
        XendError("Device xvdz not connected")
    r = xm("block-detach", "guest1", "xvdz")
    assert r.status == 1
    assert r.err.startswith("Error: Device xvdz not connected\nUsage: xm "
                            "block-detach")
    fake.answers["xend.domain.device_create"] = InvalidArgument(
        "Device xvdb (51728) is already connected.")
    r = xm("block-attach", "guest1", "phy:/x", "xvdb", "w")
    assert r.status == 1 and "already connected" in r.err
    r = xm("block-list", "nosuch")
    assert (r.status, r.err) == (3, "Error: Domain 'nosuch' does not "
                                    "exist.\n")


# -- console -----------------------------------------------------------------

@pytest.fixture
def attached(monkeypatch):
    paths: list[str] = []
    monkeypatch.setattr(cmd_console, "ATTACH", paths.append)
    return paths


def test_console_attaches_to_the_path_xend_gives(xm, fake, attached):
    fake.answers["xend.domain.getConsolePath"] = "/dev/pts/9"
    r = xm("console", "guest1")
    assert (r.status, r.out, r.err) == (0, "", "")
    assert attached == ["/dev/pts/9"]
    assert fake.calls == [("xend.domain.getConsolePath", ("guest1", 0),
                           None)]
    xm("console", "-n", "1", "guest1")
    xm("console", "--num=2", "guest1")
    assert [c[1][1] for c in fake.calls[1:]] == [1, 2]


def test_console_quiet_fails_silently(xm, fake, attached):
    r = xm("console", "-q", "nosuch")
    assert (r.status, r.out, r.err) == (1, "", "")
    fake.answers["xend.domain.getConsolePath"] = InvalidState(
        "Domain 'managed-off' is not started")
    r = xm("console", "--quiet", "managed-off")
    assert (r.status, r.out, r.err) == (1, "", "")
    r = xm("console", "managed-off")
    assert r.status == 1
    assert r.err.startswith("Error: Domain 'managed-off' is not started")
    del fake.answers["xend.domain.getConsolePath"]
    r = xm("console", "nosuch")
    assert r.status == 3
    assert attached == []


def test_console_refuses_dry_run_and_bad_numbers(xm, fake, attached):
    assert xm("-N", "console", "guest1").status == 1
    r = xm("console", "-n", "x", "guest1")
    assert r.status == 1 and r.err.startswith("Error: Invalid argument.")
    assert fake.calls == [] and attached == []


def test_console_help_mentions_the_escape(xm):
    r = xm("console", "-h")
    assert "Ctrl-]" in r.out and "-q, --quiet" in r.out
