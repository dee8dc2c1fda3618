"""The seed's documented columns, transcribed and checked against the catalogue."""

from __future__ import annotations

import pytest

from conformance import documented
from conformance.catalogue import FEATURES


def test_the_seed_has_four_columns_with_a_claim_for_every_seed_row():
    columns = documented.load()
    assert [column.title for column in columns] == [
        "MLflow",
        "Azure ML with MLflow",
        "Azure ML CLIv2",
        "Azure ML Studio",
    ]
    seed_ids = [feature.id for feature in FEATURES if feature.seed_row]
    for column in columns:
        assert list(column.cells) == seed_ids


def test_footnotes_follow_the_seed():
    azure = {column.id: column for column in documented.load()}["doc-azureml-mlflow"]
    assert azure.cells["model.rename"].claim == "unsupported"
    assert azure.cells["model.rename"].notes == (
        "Registered models are immutable objects in Azure ML.",
    )
    assert azure.cells["search.by-tag"].claim == "unsupported"
    assert azure.cells["stages"].claim == "supported"


@pytest.mark.parametrize(
    ("cells", "complaint"),
    [
        ({"no.such-feature": "supported"}, "no such feature"),
        ({"stages": "maybe"}, "claim must be one of"),
        ({"stages": {"claim": "supported", "footnotes": [9]}}, "no footnote 9"),
    ],
)
def test_a_bad_transcription_names_the_cell(cells, complaint):
    data = {"title": "t", "published": "p", "link": "l", "footnotes": {"1": "x"}}
    data["columns"] = [{"id": "c", "title": "C", "cells": cells}]
    with pytest.raises(ValueError, match=complaint):
        documented.parse(data, "x.toml")
