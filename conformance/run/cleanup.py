"""The end-of-run cleanup of one process: what its scenarios could not remove, and its
experiments, target by target.

Each target's cleanup holds the target's registry lock (shared), so that its deletions never
shift the pages of another worker's listing, and runs within one scenario time limit, so that a
registry that stalls cannot hold the run: what it did not confirm is listed as left behind, with
the reason. A stalled call ends it at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mlflow.tracking import MlflowClient

from conformance.masking import mask_text
from conformance.run import stalls
from conformance.run.ledger import Leftover, remove_experiment
from conformance.run.registry_lock import RegistryLock
from conformance.run.state import RunState
from conformance.targets import Target


def clean_up(state: RunState) -> list[Leftover]:
    """Remove what this process created; what it could not is returned, as left behind.
    A Ctrl-C passes through: then :func:`unconfirmed` lists what remains."""
    leftovers = []
    for target in state.targets:
        leftovers += _clean_up_target(state, target)
    return leftovers


def unconfirmed(state: RunState, reason: str) -> list[Leftover]:
    """Everything whose removal was not confirmed, when the cleanup cannot go on."""
    return state.ledger.unconfirmed(reason) + [
        Leftover(f"experiment {experiment}", reason) for experiment in state.experiments.values()
    ]


def _clean_up_target(state: RunState, target: Target) -> list[Leftover]:
    where = (target.tracking_uri, target.registry_uri)
    tracking_uris = [uri for uri in (target.tracking_uri, target.foreign_tracking_uri) if uri]
    stalled = state.stalled.get(target.id)
    limit = state.limits.scenario_s
    try:
        with stalls.time_limit(limit) as limited:
            if stalled and not limited:  # nothing could end a call that never returns
                why = f"the registry stalled earlier in this run: {stalled}"
                return _left_behind(state, where, tracking_uris, why)
            with _registry_lock(state, target):
                leftovers = state.ledger.sweep(where)
                for uri in tracking_uris:
                    if uri in state.experiments:
                        leftovers += remove_experiment(
                            MlflowClient(tracking_uri=uri), state.experiments[uri]
                        )
                        del state.experiments[uri]
            return leftovers
    except stalls.OutOfTime:
        why = f"the cleanup ran past its time limit of {limit:g} s"
        if stalled:
            why += f"; the registry stalled earlier in this run: {stalled}"
    except stalls.Stalled as exc:
        why = f"the registry stalled during the cleanup: {exc}"
    return _left_behind(state, where, tracking_uris, why)


def _left_behind(
    state: RunState, where: tuple[str, str], tracking_uris: list[str], why: str
) -> list[Leftover]:
    reason = mask_text(f"removal not confirmed: {why}")
    experiments = [state.experiments.pop(uri) for uri in tracking_uris if uri in state.experiments]
    return state.ledger.unconfirmed(reason, where) + [
        Leftover(f"experiment {experiment}", reason) for experiment in experiments
    ]


@contextlib.contextmanager
def _registry_lock(state: RunState, target: Target) -> Iterator[None]:
    """The target's lock, shared, where a scenario of this process used one."""
    if state.lock_folder is None:
        yield
        return
    with RegistryLock(state.lock_folder, target.id).shared():
        yield
