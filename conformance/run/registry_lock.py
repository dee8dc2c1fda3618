"""Listings where nothing else of the run writes: a reader/writer lock over the run's processes.

An unfiltered listing walks offset pages. A model that another scenario of this run creates or
deletes during the walk shifts the pages under it, and one of ours is then listed twice or not
at all: a fault the registry did not make, which a scenario could only tell from a real one by
retrying, and a retry must never turn an observed fault into a pass. So the scenarios of
``EXCLUSIVE_FEATURES`` hold the run's lock of their target exclusively, and every other scenario
holds it shared, from before its first fixture writes until after its cleanup (the ``names``
fixture deletes models in its teardown); so does each process's end-of-run cleanup
(``conformance.run.cleanup``).

The lock is a pair of files in a folder that the xdist workers of one run share, keyed by the
run's namespace and the target. A listing waiting for its turn lets no further scenario in
(the turnstile), so the others cannot starve it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fasteners
import pytest

from conformance.catalogue import FEATURES_BY_ID
from conformance.run.state import RunState
from conformance.targets import Target

#: Features whose scenarios judge an unfiltered listing of the whole registry (webhooks have no
#: filter: their listing is always the whole registry's).
EXCLUSIVE_FEATURES = frozenset({"search.list", "search.prompt-clause", "webhooks.crud"})
#: fasteners polls for file locks; scenarios last milliseconds, so poll at that scale too.
_POLLING = {"delay": 0.002, "max_delay": 0.01}


class RegistryLock:
    """One target's lock, shared by the processes that use the same folder."""

    def __init__(self, folder: Path, target_id: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._readers_writers = fasteners.InterProcessReaderWriterLock(folder / f"{target_id}.lock")
        self._turnstile = fasteners.InterProcessLock(folder / f"{target_id}.turnstile")

    @contextmanager
    def shared(self) -> Iterator[None]:
        self._turnstile.acquire(**_POLLING)  # wait behind a listing that is waiting for its turn
        self._turnstile.release()
        self._readers_writers.acquire_read_lock(**_POLLING)
        try:
            yield
        finally:
            self._readers_writers.release_read_lock()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        self._turnstile.acquire(**_POLLING)
        try:
            self._readers_writers.acquire_write_lock(**_POLLING)
            try:
                yield
            finally:
                self._readers_writers.release_write_lock()
        finally:
            self._turnstile.release()


def lock_folder(config: pytest.Config, basetemp: Path, namespace: str) -> Path:
    """The folder of the run's locks: under the basetemp that all workers of the run share
    (an xdist worker's basetemp is a subfolder of it, as pytest-xdist documents)."""
    shared = basetemp.parent if hasattr(config, "workerinput") else basetemp
    return shared / f"registry-locks-{namespace}"


@pytest.fixture(autouse=True)
def registry_lock(
    request: pytest.FixtureRequest,
    target: Target,
    conformance_state: RunState,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Hold the target's lock for the whole scenario: exclusively for the scenarios of
    ``EXCLUSIVE_FEATURES``, shared for the others (autouse: set up before, and torn down after,
    the fixtures a scenario asks for)."""
    folder = lock_folder(
        request.config, tmp_path_factory.getbasetemp(), conformance_state.ledger.namespace
    )
    conformance_state.lock_folder = folder  # the end-of-run cleanup takes it too
    lock = RegistryLock(folder, target.id)
    exclusive = any(
        request.node.get_closest_marker(FEATURES_BY_ID[feature_id].marker)
        for feature_id in EXCLUSIVE_FEATURES
    )
    with lock.exclusive() if exclusive else lock.shared():
        yield
