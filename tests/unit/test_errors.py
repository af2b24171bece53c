"""The exception hierarchy survives the wire."""

import pytest

from xend import errors


@pytest.mark.parametrize("exc", [
    errors.DomainNotFound("web1"),
    errors.InvalidArgument("bad"),
    errors.NotEnoughMemory("no room"),
    errors.InvalidState("Domain is not running"),
    errors.InternalError("boom"),
])
def test_round_trip(exc):
    back = errors.from_wire(exc.to_wire())
    assert type(back) is type(exc)
    assert str(back) == str(exc)


def test_domain_not_found_message_and_code():
    exc = errors.DomainNotFound("web1")
    assert str(exc) == "Domain 'web1' does not exist."
    assert exc.to_wire()["code"] == 3


def test_unknown_type_is_not_instantiated():
    back = errors.from_wire({"code": 2, "message": "m",
                             "data": {"type": "SystemExit"}})
    assert type(back) is errors.XendError and str(back) == "m"
