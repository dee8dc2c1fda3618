"""The virtual environments of ``run --client``: one per MLflow client requirement, holding that
client and this suite, built with uv and kept in a cache for later runs.

An environment is keyed by the requirement, the suite's own source (a hash of its files, or the
commit or archive it was installed from) and the Python version, so a changed suite gets a new
one. The suite is installed into it non-editable: the environment keeps the suite it was built
with, whatever happens to the checkout later. A build that did not finish is never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import fasteners
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import conformance
from conformance.results import now_iso

DISTRIBUTION = "registry-conformance"
#: Where the environments live when this variable is unset: the user's cache folder.
CACHE_VARIABLE = "REGISTRY_CONFORMANCE_CACHE"
#: Written last into a finished environment: what it holds.
MARKER = "registry-conformance-client.json"
_SCRIPTS = Path("Scripts") if os.name == "nt" else Path("bin")
_PYTHON = _SCRIPTS / ("python.exe" if os.name == "nt" else "python")
#: What the suite is made of, in a source tree: its packages and its metadata.
_SOURCE_PARTS = ("pyproject.toml", "README.md", "conformance", "reference_backend")


class ClientEnvError(Exception):
    """An environment that cannot be had, with a message fit for the command line."""


def client_requirement(text: str) -> str:
    """The requirement of ``--client TEXT``: a requirement on mlflow (``mlflow==3.1.4``), or a
    bare version (``3.1.4``) meaning exactly that mlflow."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)*\w*", text):
        return f"mlflow=={text}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise ClientEnvError(f"--client {text!r}: not a requirement ({exc})") from None
    if canonicalize_name(requirement.name) != "mlflow":
        raise ClientEnvError(
            f"--client {text!r}: the suite runs through MLflow's client; give mlflow==VERSION"
        )
    return str(requirement)


def cache_root() -> Path:
    """The folder of the environments: ``$REGISTRY_CONFORMANCE_CACHE/clients``, else the user's
    cache folder (``$XDG_CACHE_HOME``, ``~/.cache``; ``%LOCALAPPDATA%`` on Windows)."""
    given = os.environ.get(CACHE_VARIABLE)
    if given:
        return Path(given).expanduser() / "clients"
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / DISTRIBUTION / "clients"


@dataclass(frozen=True)
class SuiteSource:
    """What uv installs as the suite, and a key that changes whenever the suite does."""

    requirement: str
    key: str
    #: The source tree it is built from, when it is one.
    tree: Path | None = None

    def staged(self, folder: Path) -> str:
        """What to hand uv: a source tree is copied to ``folder`` first, so that the build
        writes nothing into the checkout and a stale ``build/`` there cannot reach the wheel."""
        if self.tree is None:
            return self.requirement
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for part in _SOURCE_PARTS:
            if (self.tree / part).is_dir():
                shutil.copytree(self.tree / part, folder / part, ignore=ignore)
            else:
                shutil.copy2(self.tree / part, folder / part)
        return str(folder)


def suite_source() -> SuiteSource:
    """The suite as it runs here: the source tree it is imported from (a checkout, installed
    editable), else the local folder, commit or archive it was installed from, else its
    released version."""
    tree = Path(conformance.__file__).resolve().parents[1]
    if (tree / "pyproject.toml").is_file():
        return SuiteSource(str(tree), _tree_hash(tree), tree)
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ClientEnvError(
            f"--client needs the suite installed (pip install -e . in its checkout): "
            f"no {DISTRIBUTION} distribution here"
        ) from None
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    url = direct.get("url", "")
    if "dir_info" in direct and url.startswith("file:"):
        tree = Path(unquote(urlsplit(url).path))
        return SuiteSource(str(tree), _tree_hash(tree), tree)
    if "vcs_info" in direct:
        vcs = direct["vcs_info"]
        commit = vcs.get("commit_id", "")
        return SuiteSource(f"{DISTRIBUTION} @ {vcs['vcs']}+{url}@{commit}", commit)
    if "archive_info" in direct:
        digest = direct["archive_info"].get("hash", url)
        return SuiteSource(f"{DISTRIBUTION} @ {url}", digest)
    return SuiteSource(f"{DISTRIBUTION}=={dist.version}", dist.version)


def _tree_hash(tree: Path) -> str:
    """A hash of the suite's files in a source tree (bytecode and caches left out)."""
    digest = hashlib.sha256()
    for part in _SOURCE_PARTS:
        root = tree / part
        paths = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(tree).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class ClientEnv:
    """A finished environment: its folder, the requirement it was built for, the MLflow version
    it holds, and whether this run built it (and in how many seconds) or reused it."""

    path: Path
    requirement: str
    mlflow: str
    built_s: float | None

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        return self.path / _PYTHON

    @property
    def command(self) -> Path:
        """The suite's command in the environment (a console script: unlike ``python -m``, it
        does not import the suite from a checkout that happens to be the working folder)."""
        return self.path / _SCRIPTS / ("registry-conformance" + (".exe" if os.name == "nt" else ""))


def uv_binary() -> str:
    """uv, from the ``clients`` extra (the ``uv`` package) or else on PATH."""
    try:
        import uv  # the PyPI package that ships uv's binary

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
    if found is None:
        raise ClientEnvError(
            f"--client needs uv: pip install '{DISTRIBUTION}[clients]' (or put uv on PATH)"
        )
    return found


def environment(requirement: str, source: SuiteSource, uv: str) -> ClientEnv:
    """The environment of ``requirement``: reused when a finished one exists, else built (one
    build at a time per environment, whatever runs share the cache)."""
    python = f"{platform.python_implementation()}-{platform.python_version()}"
    key = hashlib.sha256("\0".join((requirement, source.key, python)).encode()).hexdigest()
    slug = re.sub(r"[^a-z0-9.]+", "-", requirement.lower()).strip("-")
    path = cache_root() / f"{slug}-{key[:12]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    with fasteners.InterProcessLock(str(path) + ".lock"):
        marker = path / MARKER
        if marker.is_file():
            return ClientEnv(path, requirement, json.loads(marker.read_text())["mlflow"], None)
        started = time.monotonic()
        shutil.rmtree(path, ignore_errors=True)  # a build that was killed half-way
        try:
            _uv(uv, "venv", "--no-project", "--python", sys.executable, str(path))
            with tempfile.TemporaryDirectory(prefix="registry-conformance-suite-") as staging:
                suite = source.staged(Path(staging))
                _uv(uv, "pip install", "--python", str(path / _PYTHON), suite, requirement)
            mlflow = _installed_mlflow(path / _PYTHON)
            pins = old_client_pins(mlflow)
            if pins:
                _uv(uv, "pip install", "--python", str(path / _PYTHON), *pins)
        except ClientEnvError:
            shutil.rmtree(path, ignore_errors=True)
            raise
        built = {"requirement": requirement, "mlflow": mlflow, "suite": source.requirement}
        built.update(suite_key=source.key, python=python, built=now_iso())
        marker.write_text(json.dumps(built, indent=2) + "\n")
        return ClientEnv(path, requirement, mlflow, time.monotonic() - started)


#: What older MLflow releases need and do not declare: (first release without the need, pin).
_UNDECLARED_PINS: tuple[tuple[str, str], ...] = (
    ("2.16", "setuptools<81"),  # 2.9-2.15 import pkg_resources, which setuptools 81 dropped
    ("3.9", "sqlalchemy<2.1"),  # the SQL stores (sqlite://, mlflow server) before 3.9 break on 2.1
)


def old_client_pins(mlflow: str) -> list[str]:
    """The pins an environment with MLflow ``mlflow`` needs beyond what that MLflow declares."""
    return [pin for fixed, pin in _UNDECLARED_PINS if Version(mlflow) < Version(fixed)]


def _uv(uv: str, command: str, *args: str) -> None:
    """Run a uv command quietly; its own message (a resolution conflict, an unknown version)
    goes to stderr."""
    words = command.split()
    if subprocess.run([uv, *words, "--quiet", *args], check=False).returncode != 0:
        raise ClientEnvError(f"uv {command} failed (its message is above)")


def _installed_mlflow(python: Path) -> str:
    found = subprocess.run(
        [str(python), "-c", "from importlib.metadata import version; print(version('mlflow'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        raise ClientEnvError(f"no mlflow in the new environment: {found.stderr.strip()[-200:]}")
    return found.stdout.strip()
