"""block-list / network-list renderers against xm 4.4's formats."""

from __future__ import annotations

import pytest

from xm import render_devices as r

NET_DEVICE = [0, [["backend-id", 0], ["mac", "00:16:3e:12:34:56"],
                  ["handle", 0], ["state", 4],
                  ["backend", "/local/domain/0/backend/vif/7/0"],
                  ["tx-ring-ref", 768], ["rx-ring-ref", 769],
                  ["event-channel", 10]]]
DISK_DEVICE = [51713, [["backend-id", 0], ["virtual-device", 51713],
                       ["state", 4], ["backend",
                                      "/local/domain/0/backend/vbd/7/51713"],
                       ["ring-ref", 8], ["event-channel", 9]]]


def test_network_row_is_the_reference_example():
    out = r.network_list([NET_DEVICE])
    assert out == (
        "Idx BE     MAC Addr.     handle state evt-ch tx-/rx-ring-ref "
        "BE-path\n"
        "0   0  00:16:3e:12:34:56    0     4      10    768  /769     "
        "/local/domain/0/backend/vif/7/0  \n")
    # scripts: the 5th whitespace field is the state
    assert out.splitlines()[1].split()[4] == "4"


def test_block_row_format_and_fields():
    out = r.block_list([DISK_DEVICE])
    header, row = out.splitlines()
    assert header == "Vdev  BE handle state evt-ch ring-ref BE-path"
    assert row == ("%-5d  %-3d  %-3d   %-3d    %-3d    %-5d %-30s  " % (
        51713, 0, 0, 4, 9, 8, "/local/domain/0/backend/vbd/7/51713"))
    assert row.endswith("51713  ")      # the two trailing spaces
    fields = row.split()
    assert fields[0] == "51713" and fields[3] == "4"   # awk '{print $4}'


@pytest.mark.parametrize("render", [r.block_list, r.network_list])
def test_nothing_at_all_without_devices(render):
    assert render([]) == ""


def test_missing_values_use_the_4_4_defaults():
    assert r.dev_info([]) == {
        "backend-id": -1, "handle": 0, "state": -1, "be-path": "??",
        "event-ch": -1, "tx-ring-ref": -1, "rx-ring-ref": -1, "mac": "??",
        "ring-ref": -1}
    row = r.block_list([[51728, [["uname", "phy:/dev/x"], ["mode", "w"]]]])
    assert row.splitlines()[1].split() == ["51728", "-1", "0", "-1", "-1",
                                           "-1", "??"]
    row = r.network_list([[1, [["bridge", "xenbr0"]]]])
    assert row.splitlines()[1].split() == ["1", "-1", "??", "0", "-1", "-1",
                                           "-1", "/-1", "??"]


def test_strings_from_xenstore_are_converted_and_junk_defaults():
    info = r.dev_info([["state", "4"], ["backend-id", "0"],
                       ["event-channel", "x"], ["state", "6"]])
    assert (info["state"], info["backend-id"], info["event-ch"]) == (4, 0, -1)


def test_long_form_is_pretty_printed_sxp():
    out = r.long_list([DISK_DEVICE, [1, [["mac", "00:16:3e:00:00:01"]]]])
    assert out.startswith("(51713\n    ((backend-id 0)\n")
    assert out.endswith("(1 ((mac 00:16:3e:00:00:01)))\n")
