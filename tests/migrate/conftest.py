"""Fixtures of the migration harness (see tests/migrate/README.md).

* ``netns_ready`` (session): skips when namespaces cannot be made here
  (not root, no iproute2, no permission) and removes leftovers of killed runs;
* ``netns_pair``: a fresh :class:`NetnsPair`, removed after the test;
* ``certs`` (session): the :class:`Certs` set, made once;
* ``two_hosts``: a factory ``two_hosts(a=None, b=None, common=None,
  start=True) -> TwoHosts``, each call on a fresh pair of namespaces; the
  xends are stopped, the namespaces removed and the logs checked for
  tracebacks after the test;
* ``cut_proxy``: a factory ``cut_proxy(via, to, **options) -> CutProxy``,
  started in ``via``'s namespace (a Host or NsHost) and stopped after.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest

from tests.migrate.certs import Certs, make_certs
from tests.migrate.cutproxy_run import CutProxy
from tests.migrate.netns import (NetnsPair, NsHost, clean_stale,
                                 unavailable_reason)
from tests.migrate.twohosts import ConfigValue, Host, TwoHosts

Keys = Mapping[str, ConfigValue] | None


@pytest.fixture(scope="session")
def netns_ready() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    clean_stale()


@pytest.fixture
def netns_pair(netns_ready: None) -> Iterator[NetnsPair]:
    pair = NetnsPair().create()
    try:
        yield pair
    finally:
        pair.destroy()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    return make_certs(tmp_path_factory.mktemp("xmig-certs"))


@pytest.fixture
def two_hosts(netns_ready: None,
              tmp_path: Path) -> Iterator[Callable[..., TwoHosts]]:
    made: list[TwoHosts] = []

    def make(a: Keys = None, b: Keys = None, common: Keys = None,
             start: bool = True) -> TwoHosts:
        pair = NetnsPair().create()
        try:
            hosts = TwoHosts(pair, tmp_path / f"hosts{len(made)}",
                             a=a, b=b, common=common)
            made.append(hosts)
        except BaseException:
            pair.destroy()
            raise
        if start:
            hosts.start()
        return hosts

    yield make
    tracebacks = []
    for hosts in made:
        try:
            hosts.stop()
        finally:
            hosts.pair.destroy()
        tracebacks += [f"xend {h.label}:\n{h.log()}" for h in hosts
                       if "Traceback" in h.log()]
    assert not tracebacks, "\n".join(tracebacks)


@pytest.fixture
def cut_proxy(tmp_path: Path) -> Iterator[Callable[..., CutProxy]]:
    proxies: list[CutProxy] = []

    def make(via: Host | NsHost, to: tuple[str, int],
             **options: Any) -> CutProxy:
        host = via.net if isinstance(via, Host) else via
        proxy = CutProxy(host, to, tmp_path / "proxies", **options)
        proxies.append(proxy)
        return proxy.start()

    yield make
    for proxy in proxies:
        proxy.stop()
