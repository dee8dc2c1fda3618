"""What the terminal says at the end of a run: the targets, the matrix (and, loudly, that the run
was cut short when it was), whether each target conforms to core, what was left behind, the gate,
and where each output went."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import documented, gate
from conformance.report import faults
from conformance.report import terminal as matrix_text
from conformance.results import levels
from conformance.run import outputs
from conformance.run.finish import Finish

_LEFTOVERS_SHOWN = 10


class Summary:
    def __init__(self, finish: Finish) -> None:
        self.finish = finish

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """With ``--unannounced-outputs``, pytest's JUnit XML file is a temporary one too: its
        plugin, done writing, leaves before it says where (as it leaves at unconfigure)."""
        config = session.config
        if self.finish.state.is_worker or not config.getoption("unannounced_outputs"):
            return
        from _pytest.junitxml import xml_key  # no public way to keep its line quiet

        xml = config.stash.get(xml_key, None)
        if xml is not None:
            del config.stash[xml_key]
            config.pluginmanager.unregister(xml)

    def pytest_terminal_summary(self, terminalreporter: Any, config: Any) -> None:
        if self.finish.state.is_worker:
            return
        write = terminalreporter.write_line
        document = self.finish.document
        if document is None:
            if any(config.getoption(output.dest) for output in outputs.OUTPUTS if output.write):
                write("registry conformance: no scenario ran, so no results were written")
            return
        terminalreporter.section("registry conformance")
        for target in document["targets"]:
            write(f"{target['id']}: {target['label']}")
            if target.get("unusable"):
                write(f"  not measured: {target['unusable']}", red=True)
        write("")
        columns = documented.load() if config.getoption("documented") else []
        for line in matrix_text.render(document, columns, conformance=False):
            loud = line.startswith(matrix_text.INCOMPLETE_MARK)
            write(line, **({"red": True, "bold": True} if loud else {}))
        for target in document["targets"]:
            seen = faults.line(target, named=True)
            if seen:
                write(seen, yellow=True)
        conformance = levels.conformance(document, levels.CORE)
        if conformance:
            write("")
        for target in conformance:
            colour = {True: "green", False: "red", None: "yellow"}[target.conforms]
            write(f"{target.target} {target.line()}", **{colour: True})
        leftovers = document["leftovers"]
        for leftover in leftovers[:_LEFTOVERS_SHOWN]:
            write(f"left behind: {leftover['name']} ({leftover['reason']})", yellow=True)
        if len(leftovers) > _LEFTOVERS_SHOWN:
            write(
                f"... and {len(leftovers) - _LEFTOVERS_SHOWN} more left behind "
                "(all of them under 'leftovers' in --results-json)",
                yellow=True,
            )
        if self.finish.gate is not None:
            write("")
            for colour, line in gate.render(self.finish.gate):
                write(line, **{colour: True})
        unannounced = config.getoption("unannounced_outputs")
        for written, line in self.finish.written:
            if not (written and unannounced):  # a failure is said all the same
                write(line, **({} if written else {"red": True}))
