"""Lab suite plugin: records every test as a lab scenario.

Each test becomes {"name", "result", "seconds"} (plus "fixture_seconds",
"phase" and "message" where they apply) in the JSON file named by
$LAB_SCENARIOS (set by tests/lab/dom0/runner.sh inside dom0), rewritten after
every test so a run killed half-way still reports what finished.  The name
comes from @pytest.mark.scenario("xm-mem-set") or else from the test name
(test_xl_mem_set -> xl-mem-set).  Without $LAB_SCENARIOS (e.g. a host pytest
run, where -m "not lab" deselects these tests anyway) nothing is recorded.

Only the standard library and pytest are imported here: the host's normal
test run imports this file too.
"""
from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from lab_xend import xend  # noqa: F401  - the fixture xm scenarios use

_RESULTS: dict[str, dict[str, Any]] = {}     # nodeid -> scenario, in run order


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lab: needs a real Xen host (runs inside the lab VM)")
    config.addinivalue_line("markers", "scenario(name): the lab report's scenario name for this test")
    config.addinivalue_line("markers", "stress: a stress scenario (test_stress.py), run only with -m stress")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--stress-seconds", type=int, default=300,
                     help="how long each stress scenario runs (test_stress.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Stress scenarios run only when asked for by name (-m stress), never
    # as part of a normal lab run or of the host's own test run.
    if "stress" in (config.option.markexpr or ""):
        return
    keep = [i for i in items if i.get_closest_marker("stress") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.fixture
def stress_seconds(request: pytest.FixtureRequest) -> int:
    return int(request.config.getoption("--stress-seconds", default=300))


def scenario_name(item: pytest.Item) -> str:
    marker = item.get_closest_marker("scenario")
    if marker and marker.args:
        return str(marker.args[0])
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_").replace("_", "-")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    rep = outcome.get_result()
    entry = _RESULTS.setdefault(item.nodeid, {"name": scenario_name(item), "result": "pass", "seconds": 0.0})
    # "seconds" is the test body only; shared fixtures (a guest booted for a
    # whole module) are accounted separately so a scenario's time means
    # what the command under test cost.
    key = "seconds" if rep.when == "call" else "fixture_seconds"
    entry[key] = round(entry.get(key, 0.0) + rep.duration, 2)
    if rep.failed:
        entry["result"] = "fail"
        entry.setdefault("phase", rep.when)
        entry.setdefault("message", _short(rep.longreprtext))
    elif rep.skipped and entry["result"] == "pass":
        entry["result"] = "skip"
        if isinstance(rep.longrepr, tuple):
            entry["message"] = str(rep.longrepr[2])


def _short(text: str, limit: int = 600) -> str:
    # The last lines of a traceback say what went wrong; the full text is in pytest.log.
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[-6:])[-limit:]


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    out = os.environ.get("LAB_SCENARIOS")
    if not out:
        return
    path = Path(out)
    tmp = path.with_suffix(".tmp")
    # fixture_seconds only where a fixture really cost something.
    scenarios = [{k: v for k, v in e.items() if k != "fixture_seconds" or v >= 0.5}
                 for e in _RESULTS.values()]
    tmp.write_text(json.dumps(scenarios, indent=2) + "\n")
    tmp.replace(path)
