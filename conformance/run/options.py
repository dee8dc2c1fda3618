"""The suite's command-line options, and whether a pytest run was given any of them.

Imported by the entry point of every pytest run where the package is installed: nothing heavy.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import pytest

from conformance.targets import DEFAULT_TARGET

if TYPE_CHECKING:
    from conformance.results.levels import Selection

GROUP = "registry-conformance"


def add(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        GROUP,
        "MLflow model-registry conformance (any of these options runs the shipped scenarios "
        f"when no test path is given; without --registry-uri the target is {DEFAULT_TARGET})",
    )
    group.addoption(
        "--registry-uri",
        action="append",
        default=[],
        help=f"registry under test; repeatable, one report column each (default: {DEFAULT_TARGET})",
    )
    group.addoption(
        "--tracking-uri",
        action="append",
        default=[],
        help="tracking server paired with the target (default: the registry URI); "
        "once for all targets or once per --registry-uri",
    )
    group.addoption(
        "--foreign-tracking-uri",
        default=None,
        help="a second, independent tracking server for registering foreign runs "
        "(seed row 4); without it that row is not tested except on reference-backend targets",
    )
    group.addoption(
        "--target-label",
        action="append",
        default=[],
        metavar="LABEL",
        help="the report column's name, one per --registry-uri in order (default: the masked "
        "URI); the target's id is derived from it, so CI jobs' documents merge and compare",
    )
    group.addoption(
        "--namespace", default=None, help="prefix of every entity the run creates (default: unique)"
    )
    group.addoption(
        "--results-json", default=None, metavar="PATH", help="write the results document"
    )
    group.addoption(
        "--list-features", action="store_true", help="print the feature catalogue and exit"
    )
    group.addoption(
        "--report-html",
        default=None,
        metavar="PATH",
        help="write the report as one self-contained HTML file",
    )
    group.addoption(
        "--report-md", default=None, metavar="PATH", help="write the matrix as Markdown"
    )
    group.addoption(
        "--documented",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the seed article's documented columns (Azure ML's published claims) beside "
        "the measured ones in the terminal matrix and the reports (default: leave them out)",
    )
    group.addoption(
        "--call-timeout",
        type=_positive_int,
        default=None,
        metavar="SECONDS",
        help="how long MLflow's client waits for each answer (MLFLOW_HTTP_REQUEST_TIMEOUT; "
        "default: that variable, else 30); a call that times out is no verdict",
    )
    group.addoption(
        "--scenario-timeout",
        type=_non_negative_float,
        default=None,
        metavar="SECONDS",
        help="time limit of each scenario, setup and cleanup included (pytest-timeout; default: "
        "pytest-timeout's own --timeout or ini setting, else 120; 0: none); a scenario past it "
        "is no verdict, and its target's later scenarios in that process end at once",
    )
    group.addoption(
        "--expect",
        default=None,
        metavar="FILE-OR-PROFILE",
        help="CI gate: the exit code says whether every claim of this expectations file "
        "(a .toml path, or a built-in profile name) holds",
    )
    group.addoption(
        "--strict-expectations",
        action="store_true",
        help="with --expect: also fail on features better than claimed or not tested",
    )
    group.addoption(
        "--level",
        action="append",
        type=_levels,
        default=[],
        metavar="LEVEL",
        help="run only the scenarios of features of this support level: core (what every "
        "MLflow-compatible registry must do) or extended (optional); repeatable or "
        "comma-separated. The others are deselected and not-tested in the results",
    )
    group.addoption(
        "--seed-rows",
        nargs="?",
        const="all",
        type=_seed_rows,
        default=None,
        metavar="ROWS",
        help="run only the scenarios of the seed table's rows: all of them, or those listed "
        "(e.g. 1-5,12); with --level, features that match both",
    )
    # Given by ``run --client`` to each of its runs: their outputs are temporary files that it
    # merges and announces itself, so the runs' own lines would name files the user never sees.
    group.addoption("--unannounced-outputs", action="store_true", help=argparse.SUPPRESS)


#: Options that say "this run is about the suite" (--list-features exits before any run).
_SUITE_OPTIONS = (
    "registry_uri",
    "tracking_uri",
    "foreign_tracking_uri",
    "target_label",
    "namespace",
    "results_json",
    "report_html",
    "report_md",
    "documented",
    "call_timeout",
    "scenario_timeout",
    "expect",
    "strict_expectations",
    "level",
    "seed_rows",
)


def _positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: a whole number of seconds, 1 or more (as MLflow's client reads it)"
        )
    return int(text)


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seconds, 0 (no limit) or more")
    return value


def _levels(text: str) -> tuple[str, ...]:
    from conformance.results import levels  # at parse time, and only when the option is given

    try:
        return levels.parse_levels(text)
    except levels.SelectionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seed_rows(text: str) -> tuple[int, ...]:
    from conformance.results import levels

    try:
        return levels.parse_seed_rows(text)
    except levels.SelectionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def selection(config: pytest.Config) -> Selection:
    """The features ``--level`` and ``--seed-rows`` select (nothing left out without them)."""
    from conformance.results.levels import Selection

    chosen = [level for given in config.getoption("level") or [] for level in given]
    return Selection.of(chosen, config.getoption("seed_rows"))


def given(config: pytest.Config) -> bool:
    """Whether any of the suite's options was given."""
    return any(config.getoption(name) not in (None, False, []) for name in _SUITE_OPTIONS)
