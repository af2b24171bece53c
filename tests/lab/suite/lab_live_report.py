"""A pytest plugin that prints each failure as it happens.

The contract suite runs under a time budget in the lab; when it is killed,
pytest's end-of-run failure summary is lost.  Loaded with
``-p lab_live_report``, this prints every failed phase's traceback at once.
"""

from __future__ import annotations

import sys

import pytest


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        sys.stdout.write(f"\n---- {report.nodeid} ({report.when}, "
                         f"{report.duration:.1f}s) ----\n"
                         f"{report.longreprtext}\n")
        sys.stdout.flush()
