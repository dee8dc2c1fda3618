"""The suite's command-line options, and whether a pytest run was given any of them.

Imported by the entry point of every pytest run where the package is installed: nothing heavy.
"""

from __future__ import annotations

import argparse

import pytest

GROUP = "registry-conformance"
#: The default target, in the order it is looked for, when no --registry-uri is given.
DEFAULT_TARGET = (
    "MLFLOW_REGISTRY_URI, then MLFLOW_TRACKING_URI (the variables MLflow's client reads), "
    "else the embedded reference backend"
)


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
    "expect",
    "strict_expectations",
)


def given(config: pytest.Config) -> bool:
    """Whether any of the suite's options was given."""
    return any(config.getoption(name) not in (None, False, []) for name in _SUITE_OPTIONS)
