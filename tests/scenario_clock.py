"""A pytest plugin for runs of the suite under test (``-p tests.scenario_clock``): it writes when
each scenario started and finished (setup to teardown, wall clock) to the file named by
``RC_SCENARIO_CLOCK``, one JSON line per scenario, so that a test can tell which scenarios were
running when something happened on the wire. Under ``-n`` every worker appends its own lines,
and so does the controller (which sees each report later): ``worker`` says whose line it is
(``main`` without xdist, and for the controller)."""

from __future__ import annotations

import json
import os
import time

_started: dict[str, float] = {}


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _started[nodeid] = time.time()


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    path = os.environ.get("RC_SCENARIO_CLOCK")
    if not path or nodeid not in _started:
        return
    line = {
        "nodeid": nodeid,
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "start": _started.pop(nodeid),
        "end": time.time(),
    }
    with open(path, "a", encoding="utf-8") as clock:  # one short write: lines do not interleave
        clock.write(json.dumps(line) + "\n")
