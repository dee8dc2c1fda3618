"""Expectations files: built-in profiles, validation errors by file/line/key, the subcommand."""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import documented, gate
from conformance.catalogue import FEATURES
from conformance.cli import expectations as expectations_cli
from conformance.gate import expectations
from conformance.gate.expectations import ExpectationsError
from tests import report_documents

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HEADER = 'schema = "registry-conformance/expectations/v1"\n'
NASTY = 'a "quote", a \\ backslash, """triple""", \'\'\'single\'\'\', \n\t\x7f\x00 é 😀 \u2028 end'


@pytest.fixture(scope="module")
def real_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real run of one feature against the embedded reference backend."""
    folder = tmp_path_factory.mktemp("expectations-document")
    return report_documents.real_run(folder, "-m", "feature_model_rename")


@pytest.fixture
def mixed_document(real_document: dict[str, Any]) -> dict[str, Any]:
    """model.rename supported (measured); search.list partial with a nasty note; stages
    unsupported; the rest not tested (as measured)."""
    document = copy.deepcopy(real_document)
    for row in document["verdicts"]:
        if row["feature"] == "search.list":
            row.update(verdict="partial", note=NASTY)
        if row["feature"] == "stages":
            row.update(verdict="unsupported", note="2/2 scenarios unsupported: no stages")
    return document


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="registry-conformance")
    expectations_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["expectations", *argv])
    return args.handler(args)


def _write(folder: Path, document: dict[str, Any]) -> Path:
    path = folder / "results.json"
    path.write_text(json.dumps(document))
    return path


# --- built-in profiles ---------------------------------------------------------------------


def test_every_builtin_profile_loads_and_says_its_basis_and_link():
    assert expectations.profile_names() == ["azureml", "mlflow-file-store", "mlflow-server-sql"]
    for name in expectations.profile_names():
        profile = expectations.load(name)
        assert profile.source == name
        assert profile.basis in ("measured", "documented")
        assert profile.link.startswith("https://")
        assert profile.title
        assert profile.description


def test_azureml_profile_is_read_from_the_seeds_documented_column():
    """The claims are the column's cells; its footnotes are the reasons."""
    [column] = [c for c in documented.load() if c.platform == "azureml"]
    assert column.id == "doc-azureml-mlflow"
    profile = expectations.load("azureml")
    seed_rows = [feature.id for feature in FEATURES if feature.seed_row]
    assert len(seed_rows) == 15
    assert {f: profile.claim_for(f).claim for f in seed_rows} == {
        f: column.cells[f].claim for f in seed_rows
    }
    assert profile.claim_for("model.rename") == expectations.Claim(
        "unsupported", "Registered models are immutable objects in Azure ML."
    )
    assert profile.claim_for("search.by-tag") == expectations.Claim(
        "unsupported", "blank or denied in the source"
    )
    assert profile.basis == "documented"
    assert profile.link == column.link
    assert profile.default == "ignored", "features the article does not cover are not claimed"
    assert profile.claim_for("search.name-in").claim == "ignored"


def test_measured_profiles_name_the_known_exceptions_only():
    server = expectations.load("mlflow-server-sql")
    assert {f: c.claim for f, c in server.features.items()} == {
        "register.mlflow-format": "partial",
        "register.from-foreign-run": "unsupported",
        "search.list": "partial",
        # MLflow's bugs the catalogue-3 rows measure (reference_backend/DIFFERENCES.md)
        "alias.in-version-search": "ignored",
        "uri.logged-models": "ignored",
        "search.pagination": "ignored",
        "search.filter-errors": "ignored",
        # rows a plain server leaves untested: workspaces need --enable-workspaces, and its
        # webhook URL policy refuses the suite's receiver
        "workspaces.isolation": "ignored",
        "webhooks.delivery": "ignored",
    }
    assert all(claim.reason for claim in server.features.values())
    file_store = expectations.load("mlflow-file-store")
    assert {f: c.claim for f, c in file_store.features.items()} == {
        **{
            feature: "ignored"
            for feature in (
                "model.rename",
                "alias.lifecycle",
                "version.numbering",
                "data.shapes",
                "search.pagination",
                "search.filter-errors",
                "workspaces.isolation",  # the file store has none: not tested
            )
        },
        # MLflow's base store's NotImplementedError: a clean refusal
        "webhooks.crud": "unsupported",
        "webhooks.delivery": "unsupported",
    }
    assert all(claim.reason for claim in file_store.features.values())
    assert "MLFLOW_ALLOW_FILE_STORE=true" in file_store.description


# --- loading and errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEADER + '[features."stages"]\nclaim = "supported\n',
            ["exp.toml:3:", "TOML syntax error", '3 | claim = "supported'],
            id="syntax-error",
        ),
        pytest.param(
            HEADER + '\n[features."search.lst"]\nclaim = "partial"\n',
            [
                'exp.toml:3: features."search.lst": no such feature in the catalogue '
                "(did you mean 'search.list'?)"
            ],
            id="unknown-feature",
        ),
        pytest.param(
            HEADER + '[features."model.rename"]\nreason = "x"\nclaim = "maybe"\n',
            ["exp.toml:4: features.\"model.rename\".claim: 'maybe' is not one of"],
            id="bad-claim",
        ),
        pytest.param(
            HEADER + '[features.stages]\nclaim = "supported"\nreason = 3\n',
            ["exp.toml:4: features.stages.reason: 3 is not of type 'string'"],
            id="wrong-type",
        ),
        pytest.param(
            HEADER + 'default = ["supported"]\n',
            ["exp.toml:2: default: ['supported'] is not one of"],
            id="wrong-type-default",
        ),
        pytest.param(
            HEADER + 'colour = "blue"\n',
            [
                "exp.toml:2: colour: unknown key "
                "(allowed here: schema, default, levels, about, features)"
            ],
            id="unknown-key",
        ),
        pytest.param(
            HEADER + "[features.stages]\n",
            ["exp.toml:2: features.stages: 'claim' is a required property"],
            id="missing-claim",
        ),
        pytest.param(
            'default = "supported"\n',
            ["  exp.toml: (top level): 'schema' is a required property"],
            id="missing-schema",
        ),
        pytest.param(
            HEADER.replace("v1", "v2"),
            ["exp.toml:1: schema: 'registry-conformance/expectations/v1' was expected"],
            id="other-schema",
        ),
        pytest.param(
            HEADER + '[features]\n"stages" = { claim = "maybe" }\n',
            ["exp.toml:3: features.stages.claim: 'maybe' is not one of"],
            id="inline-table",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_file_line_and_key(text, expected):
    with pytest.raises(ExpectationsError) as raised:
        expectations.parse(text, "exp.toml")
    for fragment in expected:
        assert fragment in str(raised.value)


def test_every_problem_is_reported_at_once_in_line_order():
    text = (
        HEADER
        + '[about]\ntitle = 3\n\n[features."search.lst"]\nclaim = "partial"\n\n'
        + '[features."model.rename"]\nclaim = "maybe"\n'
    )
    with pytest.raises(ExpectationsError) as raised:
        expectations.parse(text, "exp.toml")
    lines = str(raised.value).splitlines()
    assert lines[0] == "exp.toml: not a valid expectations file:"
    assert [line.split(":")[1] for line in lines[1:]] == ["3", "5", "9"]


def test_a_valid_file_lists_only_its_exceptions(tmp_path: Path):
    path = tmp_path / "exp.toml"
    path.write_text(
        HEADER
        + 'default = "ignored"\n[about]\ntitle = "t"\nbasis = "measured"\n'
        + '[features."search.list"]\nclaim = "partial"\nreason = "r"\nlink = "https://x"\n'
    )
    loaded = expectations.load(str(path))
    assert loaded.source == str(path)
    assert loaded.claim_for("search.list") == expectations.Claim("partial", "r", "https://x")
    assert loaded.claim_for("stages") == expectations.Claim("ignored")
    assert loaded.describe()["default"] == "ignored"


def test_a_name_is_a_profile_and_a_path_is_a_file(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "azureml").write_text("not toml at all [")
    assert expectations.load("azureml").basis == "documented"  # the profile, not ./azureml
    with pytest.raises(ExpectationsError, match="TOML syntax error"):
        expectations.load("./azureml")
    with pytest.raises(ExpectationsError, match=r"expectations file 'missing\.toml' not found"):
        expectations.load("missing.toml")


def test_an_unknown_profile_lists_the_builtin_ones():
    with pytest.raises(ExpectationsError) as raised:
        expectations.load("mlflow-server")
    message = str(raised.value)
    assert "no built-in expectations profile 'mlflow-server'" in message
    assert "azureml, mlflow-file-store, mlflow-server-sql" in message


# --- the `expectations` subcommand ---------------------------------------------------------


def test_from_results_reproduces_the_runs_verdicts(mixed_document, tmp_path, capsys):
    output = tmp_path / "exp.toml"
    assert _cli("from-results", str(_write(tmp_path, mixed_document)), "-o", str(output)) == 0
    data = tomllib.loads(output.read_text())
    claims = data["features"]
    assert "model.rename" not in claims  # supported: the default
    assert claims["search.list"] == {"claim": "partial", "reason": NASTY}  # escaping round-trips
    assert claims["stages"]["claim"] == "unsupported"
    assert claims["version.tags"]["claim"] == "ignored"
    assert claims["version.tags"]["reason"].startswith("measured not-tested: ")
    assert data["about"]["basis"] == "measured"
    loaded = expectations.load(str(output))
    assert gate.evaluate(mixed_document, loaded, strict=True).exit_code == 0


def test_from_results_writes_to_stdout_by_default(mixed_document, tmp_path, capsys):
    assert _cli("from-results", str(_write(tmp_path, mixed_document))) == 0
    assert tomllib.loads(capsys.readouterr().out)["features"]["stages"]["claim"] == "unsupported"


def test_from_results_refuses_to_enshrine_failures_unless_allowed(mixed_document, tmp_path, capsys):
    for row in mixed_document["verdicts"]:
        if row["feature"] == "model.rename":
            row.update(verdict="non-conformant", note="1/3 scenarios failed: tags dropped")
    results_json = _write(tmp_path, mixed_document)
    output = tmp_path / "exp.toml"
    assert _cli("from-results", str(results_json), "-o", str(output)) == 2
    assert "model.rename non-conformant" in capsys.readouterr().err
    assert not output.exists()
    assert _cli("from-results", str(results_json), "-o", str(output), "--allow-failures") == 0
    claim = tomllib.loads(output.read_text())["features"]["model.rename"]
    assert claim == {
        "claim": "ignored",
        "reason": "measured non-conformant: 1/3 scenarios failed: tags dropped",
    }


def test_from_results_needs_a_target_when_the_document_has_several(
    mixed_document, tmp_path, capsys
):
    (first,) = mixed_document["targets"]
    mixed_document["targets"].append({**first, "id": "other", "label": "other"})
    mixed_document["verdicts"] += [
        {**row, "target": "other", "verdict": "supported"} for row in mixed_document["verdicts"]
    ]
    results_json = _write(tmp_path, mixed_document)
    assert _cli("from-results", str(results_json)) == 2
    assert f"pass --target with one of {first['id']}, other" in capsys.readouterr().err
    assert _cli("from-results", str(results_json), "--target", "other") == 0
    assert "features" not in tomllib.loads(capsys.readouterr().out)


def test_from_results_refuses_a_document_that_is_not_one(tmp_path, capsys):
    path = tmp_path / "results.json"
    path.write_text('{"schema": "something else"}')
    assert _cli("from-results", str(path)) == 2
    assert f"{path} is not a results document" in capsys.readouterr().err


def test_check_validates_files_and_profile_names(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(HEADER)
    bad = tmp_path / "bad.toml"
    bad.write_text(HEADER + "[features.nope]\nclaim = 'supported'\n")
    assert _cli("check", str(good), "azureml") == 0
    assert f"{good}: valid, 0 claims, default supported" in capsys.readouterr().out
    assert _cli("check", str(good), str(bad)) == 1
    assert f"{bad}:2: features.nope: no such feature" in capsys.readouterr().err


def test_profiles_lists_every_builtin_with_basis_and_link(capsys):
    assert _cli("profiles") == 0
    out = capsys.readouterr().out
    for name in expectations.profile_names():
        profile = expectations.load_profile(name)
        assert name in out
        assert profile.link in out
    assert "documented" in out
    assert "measured" in out


def test_profiles_shows_what_each_profile_claims(capsys):
    assert _cli("profiles") == 0
    blocks = capsys.readouterr().out.strip().split("\n\n")
    assert [block.split()[0] for block in blocks] == expectations.profile_names()
    for name, block in zip(expectations.profile_names(), blocks, strict=True):
        profile = expectations.load_profile(name)
        claims = {feature.id: profile.claim_for(feature.id) for feature in FEATURES}
        listed = {line.split()[0]: line for line in block.splitlines()[2:-1]}
        assert listed.keys() == {f for f, claim in claims.items() if claim.claim != "supported"}
        for feature, line in listed.items():
            assert line.split()[1] == claims[feature].claim
            if feature in profile.features:
                assert claims[feature].reason in line
            else:
                assert line.endswith(f"{profile.default:<11}  not listed: the profile's default")
        supported = len(claims) - len(listed)
        total = len(FEATURES)
        assert block.splitlines()[-1] == f"  supported: the other {supported} of {total} features"
    assert "  model.rename                unsupported  Registered models are immutable" in blocks[0]
    assert "  search.list                partial      MLflow's SQL store refuses" in blocks[2]
