"""What the shipped scenarios stand on: the target each runs against (one report column each) and
the fixtures they use. They live here, not in the pytest11 plugin, so that they exist for these
scenarios only: another project's ``target``, ``client`` or ``names`` stays its own."""

# ruff: noqa: E402 (MLflow is imported below, after its telemetry setting)
from __future__ import annotations

from conformance.run import client_env

# pytest may load this file before the plugin's configure (a path to the scenarios): MLflow reads
# whether telemetry is on when it is first imported, which is here then.
client_env.disable_telemetry()

import contextlib
from collections.abc import Callable, Iterator

import mlflow
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conformance.namespaces import mints_workspaces
from conformance.run import http_exchanges, start
from conformance.run.probe import Probe
from conformance.run.registry_client import prompt_guard_skipping
from conformance.run.registry_lock import RegistryLock
from conformance.run.stalls import Stalled
from conformance.run.state import RunState, state_of
from conformance.scenarios.model_runs import SharedRuns
from conformance.scenarios.rest import Rest
from conformance.scenarios.shared_models import SharedModels
from conformance.scenarios.webhooks import Receiver
from conformance.scenarios.workspaces import RunWorkspaces
from conformance.targets import Target


def pytest_configure(config: pytest.Config) -> None:
    start.activate(config)  # collecting the scenarios is using the suite


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        targets = state_of(metafunc.config).measured_targets
        metafunc.parametrize(
            "target", targets, ids=[t.id for t in targets], indirect=True, scope="session"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture: a missing option makes "not tested", whatever else would fail.
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("target") if callspec else None
    fixtures = getattr(item, "fixturenames", ())
    if isinstance(target, Target) and "rest" in fixtures and not target.is_http:
        pytest.skip("not an HTTP target: the wire features are about the REST API itself")
    needs_foreign = "foreign_tracking_uri" in fixtures
    if isinstance(target, Target) and needs_foreign and not target.foreign_tracking_uri:
        pytest.skip("needs --foreign-tracking-uri (a second, independent tracking server)")


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The registry under test: every scenario runs once per measured target."""
    return request.param


@pytest.fixture(scope="session", autouse=True)
def _http_evidence(request: pytest.FixtureRequest) -> None:
    """HTTP exchanges in the evidence where there are any (the client's own settings, timeouts
    included, are the run's: ``conformance.run.client_env``)."""
    if any(target.is_http for target in state_of(request.config).measured_targets):
        http_exchanges.install()


@pytest.fixture(scope="session")
def conformance_state(request: pytest.FixtureRequest) -> RunState:
    return state_of(request.config)


@pytest.fixture(scope="session", autouse=True)
def _prompt_guard(conformance_state: RunState) -> Iterator[None]:
    """MLflow's client reads a model before writing to it, to refuse prompts: not on the run's
    own names, which are never prompts (``conformance.run.registry_client``)."""
    with prompt_guard_skipping(f"{conformance_state.ledger.namespace}-"):
        yield


@pytest.fixture
def client(target: Target) -> MlflowClient:
    """A stock MLflow client pointed at the target."""
    return MlflowClient(tracking_uri=target.tracking_uri, registry_uri=target.registry_uri)


@pytest.fixture
def rest(target: Target, client: MlflowClient) -> Rest:
    """The target's REST API itself, with the client's credentials (HTTP targets only)."""
    assert target.is_http, "skipped in pytest_runtest_setup"
    return Rest(client)


@pytest.fixture
def probe() -> Probe:
    return Probe()


def _minted_then_removed(
    request: pytest.FixtureRequest,
    target: Target,
    conformance_state: RunState,
    mint_one: Callable[[str, str, str], str],
    remove: Callable[[list[str]], object],
) -> Iterator[Callable[[str], str]]:
    """A scenario's minting of names (``mint_one``: one of the ledger's), and afterwards the
    removal of whatever they name (``remove``: the ledger's, for such names)."""
    minted: list[str] = []

    def mint(hint: str) -> str:
        name = mint_one(hint, target.tracking_uri, target.registry_uri)
        minted.append(name)
        return name

    yield mint
    # What cannot be removed now stays pending in the ledger: the final sweep retries it, within
    # a time limit; so does everything of a target that stalled (no call here could bound it).
    if target.id in conformance_state.stalled:
        return
    try:
        remove(minted)
    except Stalled as exc:
        conformance_state.stall(target.id, f"the cleanup of {request.node.name}: {exc}")


@pytest.fixture
def names(
    request: pytest.FixtureRequest, target: Target, conformance_state: RunState
) -> Iterator[Callable[[str], str]]:
    """Mint registered-model names of this run; whatever they name is removed afterwards."""
    ledger = conformance_state.ledger
    yield from _minted_then_removed(request, target, conformance_state, ledger.mint, ledger.remove)


@pytest.fixture
def webhook_names(
    request: pytest.FixtureRequest, target: Target, conformance_state: RunState
) -> Iterator[Callable[[str], str]]:
    """Mint webhook names of this run; the webhooks they name are removed afterwards."""
    ledger = conformance_state.ledger
    yield from _minted_then_removed(
        request, target, conformance_state, ledger.mint_webhook, ledger.remove
    )


@pytest.fixture
def workspaces(
    request: pytest.FixtureRequest, target: Target, conformance_state: RunState
) -> Iterator[RunWorkspaces]:
    """Mint workspace names of this run (MLflow 3.10+); afterwards the run's models in them are
    removed, then the workspaces (only once empty). Skipped for a namespace that workspace names
    cannot hold as it is (MLflow allows lowercase letters, digits and ``-``)."""
    ledger = conformance_state.ledger
    if not mints_workspaces(ledger.namespace):
        pytest.skip(
            f"the namespace {ledger.namespace} cannot start a workspace name (lowercase letters, "
            "digits, -): run with such a --namespace (the default is one) to test workspaces"
        )
    minting = _minted_then_removed(
        request, target, conformance_state, ledger.mint_workspace, ledger.remove_workspaces
    )
    yield RunWorkspaces(next(minting), ledger.place)
    next(minting, None)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP receiver of webhook deliveries on 127.0.0.1, for one scenario."""
    with Receiver().running() as running:
        yield running


@pytest.fixture(scope="module")
def shared_models(
    request: pytest.FixtureRequest, target: Target, conformance_state: RunState
) -> Iterator[SharedModels]:
    """Registered models that the scenarios of one module only read (search), made once by the
    first scenario that asks for them (under its probe and its registry lock) instead of once
    each; removed after the module's last scenario, under the target's lock (shared), so that
    the run's listings never walk them."""
    minted: list[str] = []

    def mint(hint: str) -> str:
        name = conformance_state.ledger.mint(hint, target.tracking_uri, target.registry_uri)
        minted.append(name)
        return name

    yield SharedModels(mint)
    if not minted or target.id in conformance_state.stalled:
        return  # pending in the ledger: the end-of-run cleanup retries it, within a time limit
    folder = conformance_state.lock_folder
    lock = RegistryLock(folder, target.id).shared() if folder else contextlib.nullcontext()
    try:
        with lock:
            conformance_state.ledger.remove(minted)
    except Stalled as exc:
        conformance_state.stall(target.id, f"the cleanup of {request.node.name}: {exc}")


@pytest.fixture(scope="session")
def shared_runs(target: Target, tmp_path_factory: pytest.TempPathFactory) -> SharedRuns:
    """Runs with model folders that several scenarios register from (registering only reads a
    run): logged once per target and process; they go with the process's experiment."""
    return SharedRuns(tmp_path_factory.mktemp("shared-runs"))


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
            name = state.ledger.prefix.removesuffix("-")
            state.experiments[tracking_uri] = _created_experiment(client, name)
    return state.experiments[tracking_uri]


def _created_experiment(client: MlflowClient, name: str) -> str:
    """The process's experiment ``name``, made now, or by an earlier attempt whose answer was
    lost on the way back (a fault after the server made it): the name is this process's own, so
    an active experiment of that name is the one it made."""
    try:
        return client.create_experiment(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        made = client.get_experiment_by_name(name)
        if made is None or made.lifecycle_stage != "active":
            raise
        return made.experiment_id


# Every scenario runs under its target's registry lock (listings exclusively), from before its
# fixtures write until after its cleanup: conformance/registry_lock.py.
from conformance.run.registry_lock import registry_lock  # noqa: F401
