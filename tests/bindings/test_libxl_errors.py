"""The libxl error-code table and check(): pure, no Xen, no extension."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bindings.errors import LIBXL_ERRORS, check, error_for, error_name, libxl_rc
from xend import errors as xe

HEADER = Path("/usr/include/_libxl_types.h")

EXPECTED = {
    -1: xe.HypervisorError, -3: xe.HypervisorError, -4: xe.NotSupported,
    -5: xe.NotEnoughMemory, -6: xe.InvalidArgument, -8: xe.Timeout,
    -9: xe.Timeout, -10: xe.InvalidState, -11: xe.InvalidState,
    -16: xe.ConfigError, -17: xe.InvalidArgument, -21: xe.DomainNotFound,
    -23: xe.InvalidArgument, -24: xe.DomainNotFound, -25: xe.NotSupported,
}


def test_table_covers_every_code_of_libxl_4_17() -> None:
    assert sorted(LIBXL_ERRORS) == list(range(-32, 0))


def test_table_matches_installed_header() -> None:
    if not HEADER.exists():
        pytest.skip("libxen-dev is not installed")
    text = HEADER.read_text()
    enum = text[text.index("typedef enum libxl_error"):]
    enum = enum[:enum.index("} libxl_error;")]
    found = {int(v): n for n, v in
             re.findall(r"ERROR_([A-Z0-9_]+)\s*=\s*(-\d+)", enum)}
    # every code of the installed libxl is in the table, with its name
    assert {c: LIBXL_ERRORS[c][0] for c in found} == found


@pytest.mark.parametrize("rc,cls", sorted(EXPECTED.items()))
def test_check_raises_mapped_class(rc: int, cls: type) -> None:
    with pytest.raises(cls) as info:
        check(rc, "libxl_domain_pause", 7)
    assert libxl_rc(info.value) == rc


def test_every_class_survives_the_rpc_round_trip() -> None:
    for rc, (_, cls) in LIBXL_ERRORS.items():
        exc = error_for(rc, "op", 5)
        assert isinstance(exc, cls)
        back = xe.from_wire(exc.to_wire())
        assert type(back) is type(exc)
        assert str(back) == str(exc)


def test_messages_name_the_operation_and_code() -> None:
    exc = error_for(-3, "libxl_domain_unpause", 12)
    assert str(exc) == ("libxl_domain_unpause failed for domain 12: "
                        "libxl ERROR_FAIL (-3)")
    assert error_name(-6) == "ERROR_INVAL"


def test_domain_not_found_names_the_domain() -> None:
    exc = error_for(-21, "libxl_domain_info", 42)
    assert isinstance(exc, xe.DomainNotFound)
    assert str(exc) == "Domain '42' does not exist."
    # without a domid there is nothing to name: a plain HypervisorError
    assert type(error_for(-21, "libxl_list_domain")) is xe.HypervisorError


def test_success_codes_pass_through() -> None:
    assert check(0, "x") == 0
    assert check(5, "x") == 5      # libxl_get_scheduler returns >= 0


def test_unknown_codes_from_newer_libxl_are_hypervisor_errors() -> None:
    exc = error_for(-99, "libxl_new_thing")
    assert type(exc) is xe.HypervisorError
    assert "ERROR_-99" in str(exc)
