"""The README's and tox.ini's commands use options that exist: a recipe copied into CI must not
fail on a typo or an option that was renamed since."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

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
    known = set(_OPTION.findall(help_text)) | {"--strict"}  # `run` turns --strict into ours
    used = {option for command in commands for option in _OPTION.findall(command.split("#")[0])}
    assert used - known == set()
