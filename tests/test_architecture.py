"""The layout the documents describe is the tree, and the import contract between the stages
holds (ARCHITECTURE.md; import-linter's configuration in pyproject.toml)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "conformance"
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text()
README_LAYOUT = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]

STAGES = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
LEAVES = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("document", ["ARCHITECTURE.md", "README.md"])
def test_every_stage_and_leaf_of_the_tree_is_described(document: str):
    text = ARCHITECTURE if document == "ARCHITECTURE.md" else README_LAYOUT
    assert STAGES == ["cli", "gate", "report", "results", "run", "scenarios"]
    missing = [f"{stage}/" for stage in STAGES if f"{stage}/" not in text]
    missing += [leaf for leaf in LEAVES if leaf not in text]
    assert not missing, f"{document} does not describe {missing}"


def test_every_module_the_architecture_names_exists():
    for row in re.findall(r"^\| [^|]+ \| `(\w+)/` \| (.+) \|$", ARCHITECTURE, re.M):
        folder, text = row
        for name in re.findall(r"`([\w/.-]+\.(?:py|json))`", text):
            assert (PACKAGE / folder / name).exists(), f"{folder}/{name}"


def test_the_import_contract_holds():
    linter = shutil.which("lint-imports")
    assert linter, "import-linter is a dev dependency"
    done = subprocess.run([linter], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout
