"""xend-relocation-hosts-allow: 4.4's rules (re.match on address or name)."""

from __future__ import annotations

import pytest

from xend.errors import ConfigError
from xend.migrate.server import host_allowed, parse_hosts_allow

NAMES = {"10.1.2.3": "node3.example.com", "127.0.0.1": "localhost"}


def lookup(address: str) -> str:
    return NAMES.get(address, address)


@pytest.mark.parametrize("rules,address,allowed", [
    ("", "192.0.2.1", True),
    ("^localhost$ ^localhost\\.localdomain$", "127.0.0.1", True),
    ("^localhost$", "10.1.2.3", False),
    ("node", "10.1.2.3", True),             # matched from the start
    ("example", "10.1.2.3", False),         # re.match, not re.search
    ("10\\.1\\.", "10.1.2.3", True),
    ("^10\\.9\\. ^node3\\.", "10.1.2.3", True),
])
def test_rules(rules: str, address: str, allowed: bool) -> None:
    assert host_allowed(parse_hosts_allow(rules), address, lookup) is allowed


def test_bad_regex_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="hosts-allow"):
        parse_hosts_allow("^ok$ (unclosed")
