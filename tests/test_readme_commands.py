"""The README's and tox.ini's commands use options that exist (a recipe copied into CI must not
fail on a typo or an option that was renamed since), and the README's run commands work verbatim
against what they name: the embedded backend, and a stock `mlflow server` at 127.0.0.1:5000 (the
session's, its URL put in that one's place)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.gate import expectations

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")


def _run_commands() -> list[str]:
    """Every ``registry-conformance run`` command of the README, the YAML recipe's included."""
    text = README.read_text(encoding="utf-8")
    commands = [line for line in text.splitlines() if line.startswith("registry-conformance run")]
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        for job in yaml.safe_load(block)["jobs"].values():
            commands += [
                step["run"]
                for step in job["steps"]
                if "registry-conformance run" in step.get("run", "")
            ]
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8").replace("\\\n", " ")
    commands += [line for line in tox.splitlines() if "registry-conformance run" in line]
    return commands


def test_every_option_of_the_readme_run_commands_exists():
    commands = _run_commands()
    assert len(commands) >= 8
    help_text = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    run_help = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # `run` turns --strict into ours, and answers for its own options (--client)
    known = set(_OPTION.findall(help_text + run_help)) | {"--strict"}
    used = {option for command in commands for option in _OPTION.findall(command.split("#")[0])}
    assert used - known == set()


#: The README's stand-in for "your registry": a stock mlflow server on its default port.
README_SERVER = "http://127.0.0.1:5000"
#: The targets a README command may name and still run here (others name hosts or databases
#: that are only examples: postgresql://user@..., http://a:5000, /tmp/mlflow.db).
_RUNNABLE = re.compile(r"--registry-uri (?!http://127\.0\.0\.1:5000(\s|$))")
_EXPECTATIONS = "registry-conformance expectations from-results results.json -o expectations.toml"


def _runnable_commands() -> list[str]:
    """The README's run commands against the embedded backend or the stand-in server, in an
    order that makes each one's inputs first: the commands that write results.json, then the
    README's own command that turns it into expectations.toml, then the ones that read it."""
    commands = [
        " ".join(command.split("#")[0].split())
        for command in _run_commands()
        if "{" not in command  # tox.ini's, with tox substitutions
    ]
    runnable = [command for command in dict.fromkeys(commands) if not _RUNNABLE.search(command)]
    readers = [command for command in runnable if "expectations.toml" in command]
    writers = [command for command in runnable if command not in readers]
    assert _EXPECTATIONS in README.read_text(encoding="utf-8")
    return [*writers, _EXPECTATIONS, *readers]


#: What a crash prints: Python's traceback header, pytest's internal error.
_CRASH = re.compile(r"Traceback \(most recent call last\)|INTERNALERROR")
#: A verdict row of the run's terminal table: ``[#]  feature  level  symbol verdict [note]``.
_VERDICT_ROW = re.compile(
    r"^\s*(?:\d+\s+)?([a-z][\w.-]*)\s+(?:core|extended)\s+\S+\s+([a-z]+(?:[ -][a-z]+)*)", re.M
)


def _unexplained_failures(output: str) -> dict[str, str]:
    """The verdicts of a run against the stock server that are worse than the built-in
    ``mlflow-server-sql`` profile claims, and are not MLflow bugs that it names (``ignored``
    claims: a stock MLflow server is non-conformant there, and an honest run exits 1)."""
    profile = expectations.load_profile("mlflow-server-sql")
    # (the table writes "not tested", the results document "not-tested")
    verdicts = {f: v.replace(" ", "-") for f, v in _VERDICT_ROW.findall(output)}
    assert len(verdicts) >= 15, output[-3000:]
    unexplained = {}
    for feature, verdict in verdicts.items():
        claim = profile.claim_for(feature).claim
        known_bug = claim == "ignored" and verdict == "non-conformant"
        refused_as_claimed = verdict == claim or (feature, verdict) == (
            "register.from-foreign-run",
            "not-tested",  # the command gives no second tracking server
        )
        if verdict != "supported" and not known_bug and not refused_as_claimed:
            unexplained[feature] = verdict
    return unexplained


@pytest.mark.slow
def test_the_readme_run_commands_work_verbatim(tmp_path: Path, mlflow_sqlite_server: str):
    commands = _runnable_commands()
    assert sum(README_SERVER in command for command in commands) >= 4
    assert sum("--registry-uri" not in command for command in commands) >= 3
    bin_folder = str(Path(sys.executable).parent)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTEST_"))},
        "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
    }
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command.replace(README_SERVER, mlflow_sqlite_server)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        said = f"{command}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        # no crash of the tool (a failed scenario's report may list source naming TracebackType)
        assert not _CRASH.search(done.stdout + done.stderr), said
        if README_SERVER in command and "--expect" not in command and done.returncode == 1:
            # the stock server measured as it is: only its known MLflow bugs fail, no errors
            summary = done.stdout.strip().splitlines()[-1]
            assert " failed" in summary, said
            assert " error" not in summary, said  # no scenario in error
            assert _unexplained_failures(done.stdout) == {}, said
            continue
        assert done.returncode == 0, said
    for written in ("results.json", "a.json", "report.html", "report.md", "expectations.toml"):
        assert (tmp_path / written).exists(), written
    assert "my registry" in (tmp_path / "step-summary.md").read_text()
