"""The pytest plugin: options, targets, fixtures for scenarios, outcomes, the matrix and results.

Loaded through the ``pytest11`` entry point, so it is active in every pytest run of an
environment where the package is installed; it stays inert unless scenarios (tests that use
the ``target`` fixture) are collected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from conformance import (
    documented,
    expectations,
    gate,
    http_exchanges,
    matrix_text,
    preflight,
    report_html,
    report_markdown,
    results,
)
from conformance.catalogue import FEATURES, FEATURES_BY_MARKER
from conformance.ledger import Ledger, Leftover, new_namespace, remove_experiment
from conformance.outcomes import Outcome, worst_outcome
from conformance.phase_outcome import phase_outcome, phase_reason
from conformance.probe import Inconclusive, Probe
from conformance.targets import Target, TargetError, mask_text, resolve_targets

_STATE = pytest.StashKey["RunState"]()
_LEFTOVERS_SHOWN = 10
# The MLflow client retries 5xx for minutes by default; one broken endpoint must cost seconds.
_CLIENT_ENV_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "60"}


class RunState:
    """Per-process state of one run: targets, the ledger, the collected scenario records."""

    def __init__(self, config: pytest.Config, targets: list[Target], namespace: str) -> None:
        self.config = config
        self.targets = targets
        self.ledger = Ledger(namespace)
        self.experiments: dict[str, str] = {}
        self.leftovers: list[Leftover] = []
        self.records: dict[str, results.ScenarioRecord] = {}
        self.started = results.now_iso()
        self.is_worker = hasattr(config, "workerinput")
        self.expectations: expectations.Expectations | None = None
        self._prepared: set[str] = set()

    def prepare(self, target: Target) -> None:
        """Once per process and target, before its first scenario: client settings and the
        server probe. Done here, not at start-up, so a pytest run of other tests in an
        environment where this plugin is installed never touches MLflow settings or the network.
        """
        if target.id in self._prepared:
            return
        self._prepared.add(target.id)
        for name, value in _CLIENT_ENV_DEFAULTS.items():
            os.environ.setdefault(name, value)
        if target.is_http:
            http_exchanges.install()
        try:
            preflight.probe_server(target)
        except Exception as exc:  # a server that answers garbage still gets measured
            target.server["preflight_error"] = mask_text(str(exc))[:300]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("registry-conformance", "MLflow model-registry conformance")
    group.addoption(
        "--registry-uri",
        action="append",
        default=[],
        help="registry under test; repeatable, one report column each "
        "(default: MLFLOW_REGISTRY_URI, else the embedded reference backend)",
    )
    group.addoption(
        "--tracking-uri",
        action="append",
        default=[],
        help="tracking server paired with the target (default: the registry URI); "
        "once for all targets or once per --registry-uri",
    )
    group.addoption(
        "--foreign-tracking-uri",
        default=None,
        help="a second, independent tracking server for registering foreign runs "
        "(seed row 4); without it that row is not tested except on the embedded target",
    )
    group.addoption(
        "--target-label",
        action="append",
        default=[],
        metavar="LABEL",
        help="the report column's name, one per --registry-uri in order (default: the masked "
        "URI); the target's id is derived from it, so CI jobs' documents merge and compare",
    )
    group.addoption(
        "--namespace", default=None, help="prefix of every entity the run creates (default: unique)"
    )
    group.addoption(
        "--results-json", default=None, metavar="PATH", help="write the results document"
    )
    group.addoption(
        "--list-features", action="store_true", help="print the feature catalogue and exit"
    )
    group.addoption(
        "--report-html",
        default=None,
        metavar="PATH",
        help="write the report as one self-contained HTML file (with the seed's documented "
        "columns)",
    )
    group.addoption(
        "--report-md", default=None, metavar="PATH", help="write the matrix as Markdown"
    )
    group.addoption(
        "--expect",
        default=None,
        metavar="FILE-OR-PROFILE",
        help="CI gate: the exit code says whether every claim of this expectations file "
        "(a .toml path, or a built-in profile name) holds",
    )
    group.addoption(
        "--strict-expectations",
        action="store_true",
        help="with --expect: also fail on features better than claimed or not tested",
    )


def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if config.getoption("list_features"):
        print("\n".join(matrix_text.feature_listing()))
        return 0
    return None


def pytest_configure(config: pytest.Config) -> None:
    for feature in FEATURES:
        config.addinivalue_line("markers", f"{feature.marker}: {feature.title} ({feature.id})")
    try:
        targets = resolve_targets(
            config.getoption("registry_uri"),
            config.getoption("tracking_uri"),
            config.getoption("foreign_tracking_uri"),
            config.getoption("target_label"),
        )
        for target in targets:
            preflight.check_schemes(target)
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    workerinput = getattr(config, "workerinput", {})
    namespace = workerinput.get("rc_namespace") or config.getoption("namespace") or new_namespace()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}", namespace):
        raise pytest.UsageError(
            f"--namespace {namespace!r}: use 1-41 letters, digits, '-' or '_' (it prefixes names)"
        )
    state = RunState(config, targets, namespace)
    state.expectations = _load_expectations(config)
    config.stash[_STATE] = state
    config.pluginmanager.register(ConformancePlugin(state), "registry-conformance-run")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(state), "registry-conformance-xdist")


def _load_expectations(config: pytest.Config) -> expectations.Expectations | None:
    """The gate's expectations, in the controller only (workers never judge). A bad file is a
    usage error here, so that nothing runs against a registry on a gate that cannot judge it."""
    spec = config.getoption("expect")
    if spec is None:
        if config.getoption("strict_expectations"):
            raise pytest.UsageError("--strict-expectations needs --expect FILE-OR-PROFILE")
        return None
    if hasattr(config, "workerinput"):
        return None
    try:
        return expectations.load(spec)
    except expectations.ExpectationsError as exc:
        raise pytest.UsageError(f"--expect: {exc}") from None


class _XdistHooks:
    """One run, one namespace: the controller hands its namespace to every worker, and
    collects what each worker could not clean up."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["rc_namespace"] = self.state.ledger.namespace

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})
        self.state.leftovers += [Leftover(**item) for item in output.get("rc_leftovers", [])]


# --- fixtures for scenarios -------------------------------------------------------------------


@pytest.fixture(scope="session")
def conformance_state(request: pytest.FixtureRequest) -> RunState:
    return request.config.stash[_STATE]


@pytest.fixture
def client(target: Target, conformance_state: RunState) -> MlflowClient:
    """A stock MLflow client pointed at the target."""
    conformance_state.prepare(target)
    if target.unreachable:
        raise Inconclusive(target.unreachable)
    return MlflowClient(tracking_uri=target.tracking_uri, registry_uri=target.registry_uri)


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def names(target: Target, conformance_state: RunState) -> Iterator[Any]:
    """Mint registered-model names of this run; whatever they name is removed afterwards."""
    minted: list[str] = []

    def mint(hint: str) -> str:
        name = conformance_state.ledger.mint(hint, target.tracking_uri, target.registry_uri)
        minted.append(name)
        return name

    yield mint
    # What cannot be removed now stays pending in the ledger: the final sweep retries it.
    conformance_state.ledger.remove(minted)


@pytest.fixture
def fluent(target: Target, client: MlflowClient) -> Iterator[None]:
    """Point MLflow's fluent API (``mlflow.register_model``, ``load_model``...) at the target."""
    previous = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    mlflow.set_tracking_uri(target.tracking_uri)
    mlflow.set_registry_uri(target.registry_uri)
    try:
        yield
    finally:
        if mlflow.active_run():
            mlflow.end_run()
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])


@pytest.fixture
def experiment_id(
    target: Target, client: MlflowClient, probe: Probe, conformance_state: RunState
) -> str:
    """This process's experiment on the target's tracking server, made once, removed at the end."""
    return _experiment_for(conformance_state, target.tracking_uri, client, probe)


@pytest.fixture
def foreign_tracking_uri(target: Target) -> str:
    """The second tracking server (scenarios that need one are skipped without it)."""
    assert target.foreign_tracking_uri, "skipped in pytest_runtest_setup"
    return target.foreign_tracking_uri


@pytest.fixture
def foreign_experiment_id(
    foreign_tracking_uri: str, probe: Probe, conformance_state: RunState
) -> str:
    foreign_client = MlflowClient(tracking_uri=foreign_tracking_uri)
    return _experiment_for(conformance_state, foreign_tracking_uri, foreign_client, probe)


def _experiment_for(state: RunState, tracking_uri: str, client: MlflowClient, probe: Probe) -> str:
    if tracking_uri not in state.experiments:
        with probe.prerequisite("create_experiment"):
            state.experiments[tracking_uri] = client.create_experiment(
                f"{state.ledger.namespace}-{state.ledger.worker}"
            )
    return state.experiments[tracking_uri]


# --- outcomes and the end of the run -------------------------------------------------------


def _features_of(item: pytest.Item) -> list[str]:
    return [
        FEATURES_BY_MARKER[mark.name].id
        for mark in item.iter_markers()
        if mark.name in FEATURES_BY_MARKER
    ]


def _target_of(item: pytest.Item) -> Target | None:
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("target") if callspec else None
    return target if isinstance(target, Target) else None


def _junit_properties(
    properties: list[tuple[str, object]], record: results.ScenarioRecord
) -> list[tuple[str, object]]:
    """What ``--junitxml`` shows of a scenario: one ``feature`` per feature id, ``target`` and
    the scenario's ``outcome`` so far. The rc_* entries only carry data from xdist workers."""
    own = [(name, value) for name, value in properties if not name.startswith("rc_")]
    ours = [("feature", feature) for feature in record.features]
    return [*own, *ours, ("target", record.target), ("outcome", record.outcome.value)]


class ConformancePlugin:
    """The hooks that need the run's state; registered once per process by pytest_configure."""

    def __init__(self, state: RunState) -> None:
        self.state = state
        self.document: dict[str, Any] | None = None
        self.gate: gate.GateResult | None = None
        #: Failed reports of scenarios, to tell them from failures of other tests in the session.
        self.failed_scenario_reports = 0

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "target" in metafunc.fixturenames:
            targets = self.state.targets
            metafunc.parametrize("target", targets, ids=[t.id for t in targets], scope="session")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        unmarked = [
            item.nodeid
            for item in items
            if "target" in getattr(item, "fixturenames", ()) and not _features_of(item)
        ]
        if unmarked:
            raise pytest.UsageError(f"scenarios without a feature marker: {', '.join(unmarked)}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        # Before any fixture: a missing option makes "not tested", whatever else would fail.
        target = _target_of(item)
        needs_foreign = "foreign_tracking_uri" in getattr(item, "fixturenames", ())
        if target and needs_foreign and not target.foreign_tracking_uri:
            pytest.skip("needs --foreign-tracking-uri (a second, independent tracking server)")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        result = yield
        report: pytest.TestReport = result.get_result()
        target = _target_of(item)
        if target is None:
            return
        report.user_properties.append(("rc_target", target.id))
        report.user_properties.append(("rc_features", _features_of(item)))
        report.user_properties.append(("rc_outcome", phase_outcome(report, call).value))
        if target.server:
            report.user_properties.append(("rc_server", target.server))
        probe = getattr(item, "funcargs", {}).get("probe")
        if report.when == "call" and isinstance(probe, Probe) and probe.evidence:
            report.user_properties.append(("rc_evidence", probe.evidence))

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        record = self.state.records.get(report.nodeid)
        if report.when == "call" and record is not None and record.outcome is Outcome.ERROR:
            return "error", "E", "ERROR"
        return None

    @pytest.hookimpl(tryfirst=True)  # before junitxml and the terminal read the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if "rc_outcome" not in properties:
            return
        self.failed_scenario_reports += report.failed
        outcome = Outcome(properties["rc_outcome"])
        self._learn_server(properties)
        record = self.state.records.setdefault(
            report.nodeid,
            results.ScenarioRecord(
                target=properties["rc_target"],
                features=list(properties["rc_features"]),
                nodeid=report.nodeid,
                outcome=outcome,
            ),
        )
        previous = record.outcome
        record.outcome = worst_outcome([previous, outcome])
        record.duration_s += report.duration
        if outcome is not Outcome.PASSED and (record.outcome is not previous or not record.reason):
            record.reason = phase_reason(report, outcome)
        record.evidence += properties.get("rc_evidence", [])
        if outcome in (Outcome.FAILED, Outcome.ERROR):
            record.evidence.append(
                {"phase": report.when, "traceback": mask_text(report.longreprtext[-3000:])}
            )
        if not self.state.is_worker:  # workers' reports must reach the controller with rc_*
            report.user_properties = _junit_properties(report.user_properties, record)

    def _learn_server(self, properties: dict[str, Any]) -> None:
        """Workers probe the servers; the controller writes the document: reports carry it."""
        if "rc_server" not in properties:
            return
        for target in self.state.targets:
            if target.id == properties["rc_target"] and not target.server:
                target.server.update(properties["rc_server"])

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state = self.state
        state.leftovers += state.ledger.sweep()
        for tracking_uri, experiment in state.experiments.items():
            state.leftovers += remove_experiment(
                MlflowClient(tracking_uri=tracking_uri), experiment
            )
        if state.is_worker:
            session.config.workeroutput["rc_leftovers"] = [vars(x) for x in state.leftovers]
            return
        if not state.records:
            return
        self.document = results.build_document(
            state.targets,
            list(state.records.values()),
            state.started,
            complete=exitstatus != pytest.ExitCode.INTERRUPTED,
            extra={
                "namespace": state.ledger.namespace,
                "leftovers": [vars(leftover) for leftover in state.leftovers],
            },
        )
        if state.expectations is not None:
            strict = session.config.getoption("strict_expectations")
            self.gate = gate.evaluate(self.document, state.expectations, strict)
            self.document["gate"] = self.gate.as_json()
            session.exitstatus = self._gated_exitstatus(session, self.gate)
        path = session.config.getoption("results_json")
        if path:
            results.write(self.document, Path(path))
        for option, writer in (("report_html", report_html), ("report_md", report_markdown)):
            if session.config.getoption(option):
                writer.write(
                    self.document, Path(session.config.getoption(option)), documented.load()
                )

    def _gated_exitstatus(self, session: pytest.Session, verdict: gate.GateResult) -> int:
        """The gate judges a run that happened: pytest's other codes (interrupted, internal
        error) stand, and a failed test that is not a scenario still fails the run."""
        if session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            return session.exitstatus
        if session.testsfailed > self.failed_scenario_reports:
            return pytest.ExitCode.TESTS_FAILED
        return pytest.ExitCode(verdict.exit_code)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.document is None:
            return
        terminalreporter.section("registry conformance")
        for target in self.document["targets"]:
            terminalreporter.write_line(f"{target['id']}: {target['label']}")
        terminalreporter.write_line("")
        for line in matrix_text.render(self.document):
            terminalreporter.write_line(line)
        leftovers = self.document["leftovers"]
        for leftover in leftovers[:_LEFTOVERS_SHOWN]:
            terminalreporter.write_line(
                f"left behind: {leftover['name']} ({leftover['reason']})", yellow=True
            )
        if len(leftovers) > _LEFTOVERS_SHOWN:
            terminalreporter.write_line(
                f"... and {len(leftovers) - _LEFTOVERS_SHOWN} more left behind "
                "(all of them under 'leftovers' in --results-json)",
                yellow=True,
            )
        if self.gate is not None:
            terminalreporter.write_line("")
            for colour, line in gate.render(self.gate):
                terminalreporter.write_line(line, **{colour: True})
