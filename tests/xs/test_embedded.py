"""Where xend finds Xenstore: socket defaults, the host's xenstored (played
here by the embedded one, which speaks the same protocol), refusals."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from xenstore.server import EmbeddedXenstored
from xend.daemon.config import XendConfig
from xend.errors import ConnectionFailed, XendError
from xend.xs.embedded import (HOST_SOCKET, EmbeddedXenstore, HostXenstore,
                              open_xenstore, xenstored_socket)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="xse") as d:
        yield Path(d)


def test_socket_defaults() -> None:
    sim = XendConfig(hypervisor="sim", rpc_socket="/run/xend/xend.sock")
    assert xenstored_socket(sim) == "/run/xend/xenstored/socket"
    assert xenstored_socket(XendConfig(hypervisor="libxl")) == HOST_SOCKET
    chosen = XendConfig(hypervisor="sim", xenstored_socket="/tmp/x.sock")
    assert xenstored_socket(chosen) == "/tmp/x.sock"


def test_host_xenstore_connects_over_the_socket(short_dir: Path) -> None:
    path = str(short_dir / "socket")
    with EmbeddedXenstored(path) as server:
        server.store().write("/local/domain/0/name", "Domain-0")
        config = XendConfig(hypervisor="libxl", xenstored_socket=path)
        service = open_xenstore(config)
        assert isinstance(service, HostXenstore)
        assert service.backend_arguments() == {"xenstore_socket": path}
        store = service.connect()
        assert store.read("/local/domain/0/name") == "Domain-0"
        service.close()


def test_host_xenstore_missing(short_dir: Path) -> None:
    service = HostXenstore(str(short_dir / "none"))
    with pytest.raises(ConnectionFailed):
        service.connect()


def test_embedded_start_stop(short_dir: Path) -> None:
    path = short_dir / "run" / "xenstored" / "socket"
    config = XendConfig(hypervisor="sim", xenstored_socket=str(path))
    service = open_xenstore(config)
    assert isinstance(service, EmbeddedXenstore)
    args = service.backend_arguments()
    assert set(args) == {"store", "on_domain_shutdown"}
    assert path.is_socket()
    service.close()
    assert not path.exists()


def test_embedded_refuses_a_path_too_long(short_dir: Path) -> None:
    service = EmbeddedXenstore(str(short_dir / ("x" * 120)))
    with pytest.raises(XendError, match="longer"):
        service.start()
