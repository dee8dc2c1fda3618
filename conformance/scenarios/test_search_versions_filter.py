"""Core feature ``search.versions-filter``: ``search_model_versions`` filtered on the model's
name, the run id, the source, the version number and tags, with exact results.

Every filter names something only this run has (a minted model name, a fresh run, a source or a
tag value under a minted name), so the whole result is judged: each matching version once, with
its fields as set, and nothing else. The results are compared as sorted lists, so a version
listed twice shows. Ordering is ``search.versions-order``'s, ``IN`` and ``LIKE`` are
``search.versions-in-like``'s, paging is ``search.pagination``'s.
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.version_search import create_version, keys, search_versions, source_of

TAG, OTHER_TAG = "rc.stage", "rc.owner"


def _search(client, probe, filter_string: str) -> list[Any]:
    with probe.feature(f"search_model_versions({filter_string})"):
        return search_versions(client, filter_string)


def _assert_exactly(filter_string: str, found: list[Any], expected: list[tuple[str, str]]) -> None:
    assert sorted(keys(found)) == sorted(expected), (
        f"search_model_versions({filter_string}) returned {sorted(keys(found))}, expected "
        f"exactly {sorted(expected)}"
    )


@feature("search.versions-filter")
def test_filter_on_name_and_version_number(client, names, probe):
    # given a model with three versions, and another model with one
    name, other = names("mvf-num"), names("mvf-other")
    model_with_versions(client, probe, name, 3)
    model_with_versions(client, probe, other, 1)
    ours = [(name, str(number)) for number in (1, 2, 3)]

    # when versions are searched by the name, and by the name and a version number
    by_name = _search(client, probe, f"name = '{name}'")
    equal = _search(client, probe, f"name = '{name}' AND version_number = 2")
    greater = _search(client, probe, f"name = '{name}' AND version_number > 1")

    # then exactly the model's versions come back (with their sources), then those numbers
    _assert_exactly(f"name = '{name}'", by_name, ours)
    _assert_exactly(f"name = '{name}' AND version_number = 2", equal, [(name, "2")])
    _assert_exactly(f"name = '{name}' AND version_number > 1", greater, ours[1:])
    sources = {str(mv.version): mv.source for mv in by_name}
    expected_sources = {str(number): source_of(name, number) for number in (1, 2, 3)}
    assert sources == expected_sources, (
        f"search_model_versions(name = '{name}') reports sources {sources}, set {expected_sources}"
    )


@feature("search.versions-filter")
def test_filter_on_run_id_and_source_path(client, names, probe, experiment_id):
    # given a model whose versions 1 and 2 come from a fresh run and version 3 from no run
    name = names("mvf-run")
    with probe.prerequisite("create_run"):
        run_id = client.create_run(experiment_id).info.run_id
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    with probe.prerequisite("create_model_version"):
        for number, run in ((1, run_id), (2, run_id), (3, None)):
            create_version(client, name, number, run)

    # when versions are searched by the run id, by a source, and by both
    by_run = _search(client, probe, f"run_id = '{run_id}'")
    by_source = _search(client, probe, f"source_path = '{source_of(name, 3)}'")
    both = _search(client, probe, f"run_id = '{run_id}' AND source_path = '{source_of(name, 2)}'")

    # then exactly the run's versions, the version of that source, and the one of both
    _assert_exactly(f"run_id = '{run_id}'", by_run, [(name, "1"), (name, "2")])
    _assert_exactly(f"source_path = '{source_of(name, 3)}'", by_source, [(name, "3")])
    _assert_exactly("run_id = ... AND source_path = ...", both, [(name, "2")])
    runs = {str(mv.version): mv.run_id for mv in by_run}
    assert runs == {"1": run_id, "2": run_id}, (
        f"search_model_versions(run_id = '{run_id}') reports run ids {runs}"
    )


@feature("search.versions-filter")
def test_filter_on_tags(client, names, probe):
    # given a model with three versions created with tags a, b (and an owner), and none; tags
    # are given at creation (editing them is version.tags' row), and read back
    name = names("mvf-tag")
    value = name  # tag values under a minted name: only ours can carry them
    tags = {"1": {TAG: f"{value}-a"}, "2": {TAG: f"{value}-b", OTHER_TAG: f"{value}-me"}}
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    with probe.prerequisite("create_model_version with tags"):
        for number in (1, 2, 3):
            client.create_model_version(
                name, source_of(name, number), tags=tags.get(str(number)) or None
            )
    with probe.prerequisite("get_model_version (the tags given at creation)"):
        for version, pairs in tags.items():
            kept = dict(client.get_model_version(name, version).tags or {})
            assert kept == pairs, f"{name!r} v{version} was created with tags {pairs}, has {kept}"

    # when versions are searched by one tag, by two tags, and by the name and a tag
    one = f"tags.`{TAG}` = '{value}-b'"
    two = f"tags.`{TAG}` = '{value}-b' AND tags.`{OTHER_TAG}` = '{value}-me'"
    mixed = f"name = '{name}' AND tags.`{TAG}` = '{value}-a'"
    by_one, by_two, by_mixed = (_search(client, probe, text) for text in (one, two, mixed))

    # then exactly the tagged versions come back, each carrying its tags
    _assert_exactly(one, by_one, [(name, "2")])
    _assert_exactly(two, by_two, [(name, "2")])
    _assert_exactly(mixed, by_mixed, [(name, "1")])
    carried = dict(by_two[0].tags or {})
    assert {key: carried.get(key) for key in tags["2"]} == tags["2"], (
        f"search_model_versions({two}) reports {name!r} v2 with tags {carried}, set {tags['2']}"
    )
