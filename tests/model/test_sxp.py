"""SXP reader, atom rendering and the width-80 layout of xend 4.4."""

from __future__ import annotations

import pytest

from xend.errors import ConfigError
from xend.model import sxp


@pytest.mark.parametrize("value, text", [
    ("abc", "abc"),
    ("/boot/vmlinuz-xen", "/boot/vmlinuz-xen"),
    ("00:16:3e:12:34:56", "00:16:3e:12:34:56"),
    ("a.b-c_d:e/f~g", "a.b-c_d:e/f~g"),
    ("-b----", "-b----"),
    ("", "''"),
    ("root=/dev/xvda1 ro", "'root=/dev/xvda1 ro'"),
    ("it's", "\"it's\""),
    ("both ' and \"", "'both \\' and \"'"),
    ("tab\there", "'tab\\there'"),
    ("@", "@"),
    ("a@b", "'a@b'"),          # only a lone '@' is bare, as in sxp.atomp
    ("caf\u00e9", "'caf\\xc3\\xa9'"),  # Python 2 repr of the UTF-8 bytes
    (7, "7"),
    (-1, "-1"),
    (True, "1"),
    (1.5, "1.5"),
    (2.0, "2.0"),
    (1398765432.123456, "1398765432.12"),
    (12.345678901, "12.345678901"),
])
def test_show_atom(value: object, text: str) -> None:
    assert sxp.show(value) == text  # type: ignore[arg-type]


def test_show_list() -> None:
    assert sxp.show(["cpus", [[], []]]) == "(cpus (() ()))"
    assert sxp.show(["a", ["b", 1], ""]) == "(a (b 1) '')"


@pytest.mark.parametrize("text, values", [
    ("(a (b c) 'd e' \"f\\n\")", [["a", ["b", "c"], "d e", "f\n"]]),
    ("(a) (b)", [["a"], ["b"]]),
    ("# comment\n(a # trailing\n b)", [["a", "b"]]),
    ("('' \"\")", [["", ""]]),
    ("('\\x41\\101\\q')", [["AA\\q"]]),
    # a separator ends an atom and starts the next one, as in xend
    ("(x[1] y)", [["x", "[1", "]", "y"]]),
    ("", []),
])
def test_parse(text: str, values: list[object]) -> None:
    assert sxp.parse(text) == values


@pytest.mark.parametrize("text, message", [
    ("(a (b)", "line 1: unexpected EOF"),
    ("(a)\n)", "line 2: syntax error"),
    ("(a 'b)", "unexpected EOF"),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        sxp.parse(text, "f.sxp")


def test_parse_one_requires_one_value() -> None:
    assert sxp.parse_one("(vm (name x))") == ["vm", ["name", "x"]]
    with pytest.raises(ConfigError, match="expected one SXP value"):
        sxp.parse_one("(a) (b)")


def test_pretty_fits_on_one_line() -> None:
    assert sxp.pretty(["a", "b"]) == "(a b)\n"
    assert sxp.pretty("atom") == "atom\n"


def test_pretty_break_rules_at_narrow_width() -> None:
    # the outer list is broken; (name x) fits in 14 columns at indent 4,
    # (memory 64) does not and is broken in turn
    assert sxp.pretty(["vm", ["name", "x"], ["memory", 64]], width=14) == (
        "(vm\n"
        "    (name x)\n"
        "    (memory\n"
        "        64\n"
        "    )\n"
        ")\n")


def test_pretty_first_element_list_opens_after_paren() -> None:
    assert sxp.pretty([["a", "b"], "c"], width=6) == "((a b)\n    c\n)\n"


def test_pretty_exact_fit_boundary() -> None:
    # at indent 4, a list ending exactly in column 80 stays on one line;
    # one more character breaks it
    fits = ["k", "x" * 72]        # "(k " + 72 + ")" = 76 chars
    too_long = ["k", "x" * 73]
    lines = sxp.pretty(["top", fits, too_long]).splitlines()
    assert lines[1] == "    (k " + "x" * 72 + ")"
    assert len(lines[1]) == 80
    assert lines[2:5] == ["    (k", "        " + "x" * 73, "    )"]


GUEST1 = """\
(domain
    (domid 7)
    (cpu_weight 256)
    (cpu_cap 0)
    (pool_name Pool-0)
    (bootloader '')
    (vcpus 2)
    (cpus (() ()))
    (on_poweroff destroy)
    (description '')
    (on_crash restart)
    (uuid 5f3c8e2a-1b2c-4d5e-8f90-0123456789ab)
    (bootloader_args '')
    (name guest1)
    (on_reboot restart)
    (maxmem 512)
    (memory 512)
    (shadow_memory 0)
    (features '')
    (on_xend_start ignore)
    (on_xend_stop ignore)
    (start_time 1398765432.12)
    (cpu_time 12.345678901)
    (online_vcpus 2)
    (image
        (linux
            (kernel /boot/vmlinuz-xen)
            (notes (FEATURES '!writable_page_tables|pae_pgdir_above_4gb'))
        )
    )
    (status 2)
    (state -b----)
    (store_mfn 1234567)
    (console_mfn 1234566)
    (device
        (vif
            (bridge xenbr0)
            (mac 00:16:3e:12:34:56)
            (script /etc/xen/scripts/vif-bridge)
            (uuid aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee)
            (backend 0)
        )
    )
    (device (vkbd (backend 0)))
    (device
        (console
            (protocol vt100)
            (location 2)
            (uuid bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee)
        )
    )
    (device
        (vbd
            (protocol x86_64-abi)
            (uuid cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee)
            (bootable 1)
            (dev xvda:disk)
            (uname phy:/dev/vg0/guest1)
            (mode w)
            (backend 0)
            (VDI '')
        )
    )
)
"""


def test_pretty_golden_list_l_sample() -> None:
    """The §2.2 sample (made with the original printer), reproduced."""
    doc = sxp.parse_one(GUEST1)
    # numbers come back as strings from the reader; the layout is the same
    assert sxp.pretty(doc) == GUEST1


def test_pretty_golden_with_typed_values() -> None:
    doc = sxp.parse_one(GUEST1)
    assert isinstance(doc, list)
    typed = [["start_time", 1398765432.123], ["cpu_time", 12.345678901],
             ["domid", 7]]
    for key, value in typed:
        for item in doc:
            if isinstance(item, list) and item[0] == key:
                item[1] = value
    assert sxp.pretty(doc) == GUEST1


def test_pretty_round_trips_through_parse() -> None:
    doc = ["vm", ["name", "a b"], ["args", ""], ["x", ["y", "it's"]]]
    assert sxp.parse_one(sxp.pretty(doc)) == doc


def test_child_access() -> None:
    doc = sxp.parse_one("(vm (name x) (device (vbd (dev a))) "
                        "(device (vif)))")
    assert sxp.child_value(doc, "name") == "x"
    assert sxp.child_value(doc, "memory", 5) == 5
    assert [d[1][0] for d in sxp.children(doc, "device")] == ["vbd", "vif"]


# ---------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ATOMS = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                max_size=12)
TREES = st.recursive(ATOMS, lambda kids: st.lists(kids, max_size=5),
                     max_leaves=40)


@settings(max_examples=80, deadline=None)
@given(st.lists(TREES, min_size=1, max_size=6))
def test_pretty_then_parse_gives_the_value_back(items: list[object]) -> None:
    doc = ["root", *items]
    text = sxp.pretty(doc)
    assert sxp.parse_one(text) == doc
    # the layout never changes the one-line form
    assert sxp.show(sxp.parse_one(text)) == sxp.show(doc)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parser_raises_only_config_errors(text: str) -> None:
    try:
        sxp.parse(text)
    except ConfigError:
        pass
