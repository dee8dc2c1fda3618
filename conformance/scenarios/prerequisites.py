"""Setup steps a scenario takes before the step under test, each under the probe as a
prerequisite: models with versions to work on (:func:`model_with_versions`), and steps it can
do without (:func:`best_effort`: a clean refusal only makes the scenario judge less).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlflow.entities.model_registry import ModelVersion

from conformance.run import http_exchanges
from conformance.run.probe import Probe, answer_status, state_changed
from conformance.run.refusals import Kind, classify

#: A source that MLflow's servers accept without a run (only the ``..`` check applies).
SOURCE_ROOT = "s3://rc-bucket"


@dataclass(frozen=True)
class Created:
    """A version :func:`model_with_versions` created: the source sent, and the registry's answer
    (for :func:`created_state`, while nothing is written on the version)."""

    source: str
    answer: ModelVersion


def model_with_versions(
    client: Any, probe: Probe, name: str, count: int, source_root: str = SOURCE_ROOT
) -> dict[str, Created]:
    """Create ``name`` with ``count`` versions (sources ``<root>/<name>/<n>``), as a prerequisite.

    Returns ``{version: Created}`` in creation order.
    """
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    created = {}
    for number in range(1, count + 1):
        source = f"{source_root}/{name}/{number}"
        with probe.prerequisite("create_model_version"):
            made = client.create_model_version(name, source, run_id=None)
        created[str(made.version)] = Created(source, made)
    return created


def answers_of(created: dict[str, Created]) -> dict[str, ModelVersion]:
    """The registry's answers in :func:`model_with_versions`' result, by version."""
    return {version: made.answer for version, made in created.items()}


#: ``best_effort``'s ``before`` when the scenario does not hold the state: it is read.
UNREAD: Any = object()


def best_effort(
    probe: Probe,
    what: str,
    step: Callable[[], object],
    *,
    state: Callable[[], object],
    before: object = UNREAD,
) -> bool:
    """A setup step the scenario can do without: ``False`` if the registry cleanly refuses it.

    Used where a refused step (another feature) only makes a scenario judge less, so that a
    registry lacking that other feature does not change this feature's verdict. The refusal is
    kept in the probe's evidence (:meth:`Probe.judged_without`). ``state`` reads whatever the
    step could change: a refusal that changed it was no clean refusal. That, like any other
    failure of the step, is a broken prerequisite, as usual. ``before`` is that state as the
    scenario already holds it (read, or known since its last read), so that it is not read again.
    """
    with probe.prerequisite(what):
        if before is UNREAD:
            before = state()
        try:
            with http_exchanges.recording() as exchanges:
                step()
        except Exception as exc:
            answer = classify(exc, answer_status(exchanges))
            if answer.kind is not Kind.REFUSAL:
                raise
            after = state()
            assert not state_changed(state, before, after), (
                f"refused ({answer.reason}), but it changed the state: {before} -> {after}"
            )
            probe.judged_without(what, exc, exchanges)
            return False
    return True
