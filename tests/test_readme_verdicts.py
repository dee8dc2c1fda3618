"""README's table of what an answer means ("### Verdicts") says what the code does.

Each row's codes and statuses (in backquotes) are answered as MLflow's client raises them, then
classified and judged by the probe as the call under test and as a prerequisite; and every code
and status the code knows appears in the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from mlflow.exceptions import MlflowException, RestException
from mlflow.utils.rest_utils import verify_rest_response

from conformance.run import refusals
from conformance.run.phase_outcome import outcome_of
from conformance.run.probe import Probe

README = Path(__file__).resolve().parents[1] / "README.md"
_CODE = re.compile(r"`([A-Z][A-Z_]+)`")
_STATUS = re.compile(r"`(\d{3})`")
_WORD = re.compile(r"`([a-z-]+)`")


def _rows() -> list[list[str]]:
    section = README.read_text().split("### Verdicts\n", 1)[1].split("\n#", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| answer |"), lines[0]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


ROWS = _rows()


def _answers(cell: str) -> list[tuple[str, BaseException]]:
    """Each answer a row names, as MLflow's client raises it."""
    answers: list[tuple[str, BaseException]] = []
    for status in _STATUS.findall(cell):
        answers.append((f"HTTP {status}", _bare(int(status))))
    for code in _CODE.findall(cell):
        answers.append((code, RestException({"error_code": code, "message": "the answer"})))
    if "`NotImplementedError`" in cell:
        answers.append(("NotImplementedError", NotImplementedError("not here")))
    return answers


def _bare(status: int) -> MlflowException:
    """MLflow's client on an answer with ``status`` and an HTML body."""
    response = requests.Response()
    response.status_code = status
    response._content = b"<html>an answer</html>"
    with pytest.raises(MlflowException) as caught:
        verify_rest_response(response, "/api/2.0/mlflow/registered-models/get")
    return caught.value


def _outcome(role: str, exc: BaseException) -> str:
    probe = Probe()
    block = probe.feature("call") if role == "feature" else probe.prerequisite("step")
    try:
        with block:
            raise exc
    except BaseException as raised:  # Unsupported is a pytest outcome, not an Exception
        return outcome_of(raised).value
    raise AssertionError("the probe let an exception through silently")


@pytest.mark.parametrize(
    "row", ROWS, ids=[row[1].strip("`") + f"-{i}" for i, row in enumerate(ROWS)]
)
def test_each_row_classifies_and_judges_as_written(row: list[str]):
    answer, kind, as_feature, as_prerequisite = row
    answers = _answers(answer)
    assert answers, f"row names no code or status: {answer}"
    expected = (
        _WORD.findall(kind)[0],
        _WORD.findall(as_feature)[0],
        _WORD.findall(as_prerequisite)[0],
    )
    for name, exc in answers:
        judged = (
            refusals.classify(exc).kind.value,
            _outcome("feature", exc),
            _outcome("prerequisite", exc),
        )
        assert judged == expected, name


def test_every_code_and_status_of_the_vocabulary_is_in_the_table():
    listed_codes = {code for row in ROWS for code in _CODE.findall(row[0])}
    listed_statuses = {int(status) for row in ROWS for status in _STATUS.findall(row[0])}
    known_codes = (
        refusals.NOT_OFFERED_CODES
        | refusals.PARAMETER_CODES
        | refusals.ENTITY_CODES
        | refusals.AUTH_CODES
        | refusals.TRANSIENT_CODES
    )
    known_statuses = (
        refusals.NOT_OFFERED_STATUSES | refusals.AUTH_STATUSES | refusals.TRANSIENT_STATUSES
    )
    assert known_codes <= listed_codes, known_codes - listed_codes
    assert known_statuses <= listed_statuses, known_statuses - listed_statuses
    assert {row[1] for row in ROWS} == {f"`{kind.value}`" for kind in refusals.Kind}
