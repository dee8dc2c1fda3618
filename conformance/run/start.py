"""Starting a run of the suite, before its first scenario: the targets, the namespace, the gate's
expectations, writable output paths, the time limits and the MLflow client's settings, and the
preflight that decides each target's fate once."""

from __future__ import annotations

import gc

import pytest

from conformance.catalogue import FEATURES
from conformance.gate import expectations
from conformance.namespaces import is_namespace, new_namespace
from conformance.run import (
    client_env,
    http_exchanges,
    latency,
    options,
    outputs,
    preflight,
    time_limits,
)
from conformance.run.feature_selection import FeatureSelection
from conformance.run.finish import Finish
from conformance.run.interrupts import Interrupts
from conformance.run.ledger import Ledger
from conformance.run.recording import Recorder
from conformance.run.state import STATE, RunState
from conformance.run.summary import Summary
from conformance.run.xdist_handoff import XdistHandoff
from conformance.targets import Target, TargetError, resolve_targets


def activate(config: pytest.Config) -> None:
    """Make this pytest run a run of the suite (once; later calls change nothing)."""
    if STATE in config.stash:
        return
    # MLflow, pytest and the suite are imported by now and live as long as the process: moved
    # out of the collector's reach, the run's full collections stop walking them again and
    # again (measured: about a fifth of the embedded run's wall).
    gc.freeze()
    for feature in FEATURES:
        config.addinivalue_line("markers", f"{feature.marker}: {feature.title} ({feature.id})")
    workerinput = getattr(config, "workerinput", None)
    targets = _targets(config)
    namespace = (workerinput or {}).get("rc_namespace") or _namespace(config)
    client_settings = client_env.apply(config.getoption("call_timeout"))
    config.add_cleanup(client_settings.undo)
    state = RunState(
        targets, Ledger(namespace), workerinput is not None, time_limits.resolve(config)
    )
    latency.reset()  # this run's requests only, should the process have run another
    if any(target.is_http for target in targets):
        http_exchanges.install()  # from here on, the preflight's requests included
    if workerinput is None:
        state.expectations = _expectations(config)
        outputs.check_writable(config)
        if not config.option.collectonly:
            _preflight(targets)
        print(f"registry-conformance: namespace {namespace} (what the run creates is named so)")
    else:  # the controller's preflight decided
        for target in targets:
            target.unusable = workerinput["rc_unusable"].get(target.id)
    config.stash[STATE] = state
    finish = Finish(state)
    plugins = [
        Recorder(state),
        time_limits.TimeLimits(state),
        Interrupts(),
        finish,
        Summary(finish),
    ]
    if config.pluginmanager.hasplugin("xdist"):
        plugins.append(XdistHandoff(state))
    selection = options.selection(config)
    if selection:
        plugins.append(FeatureSelection(selection))
    for plugin in plugins:
        config.pluginmanager.register(plugin, f"registry-conformance-{type(plugin).__name__}")


def _targets(config: pytest.Config) -> list[Target]:
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
    return targets


def _namespace(config: pytest.Config) -> str:
    namespace = config.getoption("namespace") or new_namespace()
    if not is_namespace(namespace):
        raise pytest.UsageError(
            f"--namespace {namespace!r}: use 1-41 letters, digits, '-' or '_' (it prefixes names)"
        )
    return namespace


def _expectations(config: pytest.Config) -> expectations.Expectations | None:
    """The gate's expectations (the controller judges, never a worker). A bad file is a usage
    error here, so that nothing runs against a registry on a gate that cannot judge it."""
    spec = config.getoption("expect")
    if spec is None:
        if config.getoption("strict_expectations"):
            raise pytest.UsageError("--strict-expectations needs --expect FILE-OR-PROFILE")
        return None
    try:
        return expectations.load(spec)
    except expectations.ExpectationsError as exc:
        raise pytest.UsageError(f"--expect: {exc}") from None


def _preflight(targets: list[Target]) -> None:
    """Each target's fate, once: a run where no target can be measured stops here (usage error,
    one line per target); otherwise the others are measured and those columns are inconclusive."""
    for target in targets:
        target.unusable = preflight.why_unusable(target)
    if all(target.unusable for target in targets):
        raise pytest.UsageError(*(str(target.unusable) for target in targets))
