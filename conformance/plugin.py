"""The pytest11 entry point: inert in every pytest run that does not use the suite.

Installed, this module is loaded by every pytest run of the environment, so at load it imports
nothing heavy and changes nothing. The suite is used when one of its options is given (then,
with no test path, the shipped scenarios are what runs, from any folder) or when the run's paths
lead to the scenarios; only then does :mod:`conformance.run.start` take over. The scenarios'
``target`` parameter and fixtures live beside them, in ``conformance/scenarios/conftest.py``, so
other projects' ``target``, ``client`` or ``names`` stay theirs.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from conformance.run import client_env, options

SCENARIO_PACKAGE = "conformance.scenarios"
SCENARIO_FOLDER = Path(__file__).resolve().parent / "scenarios"


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if config.getoption("list_features"):
        from conformance.report import terminal as matrix_text

        print("\n".join(matrix_text.feature_listing(options.selection(config) or None)))
        return 0
    return None


def pytest_configure(config: pytest.Config) -> None:
    suite_options = options.given(config)
    if suite_options and config.args_source is not pytest.Config.ArgsSource.ARGS:
        # No test path given: the suite's options say which tests are meant.
        config.args = [SCENARIO_PACKAGE]
        config.args_source = pytest.Config.ArgsSource.ARGS
        config.option.pyargs = True
    if suite_options or _leads_to_scenarios(config):
        client_env.disable_telemetry()  # before the suite imports MLflow, which reads it then
        from conformance.run import start

        start.activate(config)


def _leads_to_scenarios(config: pytest.Config) -> bool:
    """Whether the run's paths (or ``--pyargs`` names) collect the shipped scenarios."""
    for arg in config.args:
        name = arg.split("::")[0]
        if config.option.pyargs and name in ("conformance", SCENARIO_PACKAGE):
            return True
        path = (config.invocation_params.dir / name).resolve()
        if path.is_relative_to(SCENARIO_FOLDER):
            return True
        if SCENARIO_FOLDER.is_relative_to(path) and not _skipped_below(config, path):
            return True
    return False


def _skipped_below(config: pytest.Config, path: Path) -> bool:
    """Whether collecting ``path`` skips the scenarios' folder (a virtualenv, norecursedirs)."""
    patterns = config.getini("norecursedirs")
    for folder in [SCENARIO_FOLDER, *SCENARIO_FOLDER.parents]:
        if folder == path:
            return False
        if (folder / "pyvenv.cfg").exists() or any(
            fnmatch.fnmatch(folder.name, pattern) for pattern in patterns
        ):
            return True
    return False
