"""Extended feature ``search.versions-in-like``: ``IN`` lists (on ``name`` and ``run_id``) and
``LIKE``/``ILIKE`` on names in ``search_model_versions`` filters.

MLflow's client documents ``IN`` for ``run_id`` only; its stores accept it for ``name`` too, and
other registries refuse either (a clean refusal: ``unsupported``). Listed names and runs are this
run's own, so the whole result of an ``IN`` filter is judged. A ``LIKE`` pattern starts with the
run's prefix, skips the ledger's counter with ``%`` and tests case, ``%`` and ``_`` on the hints;
earlier scenarios of the run may have left models with the same hints behind, so those results
are judged on this scenario's models.
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.version_search import create_version, keys, quoted_list, search_versions


def _search(client, probe, what: str, filter_string: str) -> list[Any]:
    with probe.feature(f"search_model_versions({what})"):
        return search_versions(client, filter_string)


@feature("search.versions-in-like")
def test_name_in_returns_exactly_the_listed_models_versions(client, names, probe):
    # given three models (two versions, one, one); the list names two of them and a name nobody has
    first, second, third = names("mvin-a"), names("mvin-b"), names("mvin-c")
    for name, count in ((first, 2), (second, 1), (third, 1)):
        model_with_versions(client, probe, name, count)
    filter_string = f"name IN {quoted_list([first, second, names('mvin-nobody')])}"

    # when versions are searched with name IN (...)
    found = _search(client, probe, "name IN (...)", filter_string)

    # then exactly the versions of the two listed models that exist come back, once each
    expected = [(first, "1"), (first, "2"), (second, "1")]
    assert sorted(keys(found)) == sorted(expected), (
        f"search_model_versions({filter_string}) returned {sorted(keys(found))}, expected "
        f"exactly {expected}"
    )


@feature("search.versions-in-like")
def test_run_id_in_returns_exactly_the_listed_runs_versions(client, names, probe, experiment_id):
    # given a model whose versions come from run 1, run 2 and no run
    name = names("mvin-run")
    with probe.prerequisite("create_run"):
        runs = [client.create_run(experiment_id).info.run_id for _ in range(2)]
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    with probe.prerequisite("create_model_version"):
        for number, run_id in ((1, runs[0]), (2, runs[1]), (3, None)):
            create_version(client, name, number, run_id)
    nobody = "0" * 32  # a run id that no run has

    # when versions are searched with run_id IN (...): run 1 and nobody's; both runs
    one = f"run_id IN {quoted_list([runs[0], nobody])}"
    both = f"run_id IN {quoted_list(runs)}"
    found_one = _search(client, probe, "run_id IN (...)", one)
    found_both = _search(client, probe, "run_id IN (...)", both)

    # then exactly the versions of the listed runs come back
    assert keys(found_one) == [(name, "1")], (
        f"search_model_versions({one}) returned {keys(found_one)}, expected [({name!r}, '1')]"
    )
    assert sorted(keys(found_both)) == [(name, "1"), (name, "2")], (
        f"search_model_versions({both}) returned {sorted(keys(found_both))}, expected versions "
        "1 and 2 of our model"
    )


#: hint -> versions its model gets
HINTS = {"mvAlpha": 1, "mvalpha": 2, "mvalphA2": 1}

# (comparator, pattern after the prefix, hints expected)
_PATTERNS = (
    ("LIKE", "%-mvAlpha", {"mvAlpha"}),
    ("LIKE", "%-mvalph_", {"mvalpha"}),
    ("ILIKE", "%-MVALPHA%", {"mvAlpha", "mvalpha", "mvalphA2"}),
    ("ILIKE", "%-MVALPH_", {"mvAlpha", "mvalpha"}),
)


@feature("search.versions-in-like")
def test_like_and_ilike_on_names(client, names, probe, conformance_state):
    # given three models whose hints differ in case and in one character
    minted = {hint: names(hint) for hint in HINTS}
    for hint, count in HINTS.items():
        model_with_versions(client, probe, minted[hint], count)
    prefix = conformance_state.ledger.prefix
    ours = set(minted.values())

    for comparator, tail, hints in _PATTERNS:
        filter_string = f"name {comparator} '{prefix}{tail}'"

        # when versions are searched with that pattern
        found = _search(client, probe, f"name {comparator} ...", filter_string)

        # then exactly the versions of the models it matches come back, each once
        ours_found = sorted(key for key in keys(found) if key[0] in ours)
        expected = sorted(
            (minted[hint], str(number)) for hint in hints for number in range(1, HINTS[hint] + 1)
        )
        assert ours_found == expected, (
            f"search_model_versions({filter_string}) returned {ours_found} among our models "
            f"{sorted(ours)}, expected exactly {expected}"
        )
