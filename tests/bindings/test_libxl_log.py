"""xentoollog levels and messages as Python logging records (no Xen)."""

from __future__ import annotations

import logging

import pytest

from bindings import log


def test_levels() -> None:
    assert [log.python_level(n) for n in range(10)] == [
        logging.DEBUG] * 4 + [logging.INFO] * 3 + [
        logging.WARNING, logging.ERROR, logging.CRITICAL]


def test_min_level_follows_the_logger() -> None:
    logger = logging.getLogger(log.LOGGER_NAME)
    old = logger.level
    try:
        logger.setLevel(logging.DEBUG)
        assert log.xtl_min_level() == log.XTL_DEBUG
        logger.setLevel(logging.WARNING)
        assert log.xtl_min_level() == log.XTL_PROGRESS
    finally:
        logger.setLevel(old)


def test_emit_adds_errno_text(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger=log.LOGGER_NAME):
        log.emit(8, 2, "libxl", "cannot open libxc handle")
        log.emit(7, -1, None, "plain")
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("xend.libxl", "ERROR",
         "libxl: cannot open libxc handle: No such file or directory"),
        ("xend.libxl", "WARNING", "libxl: plain")]
