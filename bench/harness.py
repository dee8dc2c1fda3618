"""What the benches share: stock ``mlflow server`` targets, whole-process timings of the suite
(of this checkout, or of another one given with ``--before``), and the machine's load beside
every number (a busy machine makes every wall time longer; ratios suffer less)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from conformance.catalogue import FEATURES  # noqa: E402
from tests import servers  # noqa: E402  (the launchers the test session itself uses)

#: ``-m`` expression selecting the seed's 15 rows (what the hand-written baseline checks).
SEED_ROWS = " or ".join(feature.marker for feature in FEATURES if feature.seed_row)


@dataclass(frozen=True)
class Code:
    """A checkout of the suite to measure: its name in the output and its root folder."""

    name: str
    root: Path


@dataclass(frozen=True)
class Timed:
    seconds: float
    exit_code: int
    output: str


def add_code_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--before",
        type=Path,
        metavar="CHECKOUT",
        help="also measure the suite of another checkout (e.g. a `git worktree` of an earlier "
        "commit), with the same servers and in alternation with this one",
    )


def codes(args: argparse.Namespace) -> list[Code]:
    before = [Code("before", args.before.resolve())] if args.before else []
    return [*before, Code("now", ROOT)]


def environment(code: Code, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a run of ``code`` gets: its packages first on the path, then bench/'s."""
    path = os.pathsep.join([str(code.root), str(BENCH)])
    return {**inherited_environment(), "PYTHONPATH": path, **(extra or {})}


def inherited_environment() -> dict[str, str]:
    """This process's environment as every timed process gets it, the bare baselines too."""
    inherited = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    return {**inherited, "MLFLOW_DISABLE_TELEMETRY": "true"}


#: PYTHONDONTWRITEBYTECODE (set on some CI images) would make every timed run compile the suite
#: and pytest re-write its assertions again, a cost an installed package never pays after its
#: first run (MLflow's own bytecode comes with its wheel either way).
_NOT_INHERITED = frozenset({"PYTHONDONTWRITEBYTECODE"})


def run_process(
    command: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 3600
) -> Timed:
    """A whole process, interpreter start included, timed by the wall clock."""
    started = time.perf_counter()
    done = subprocess.run(
        list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    return Timed(time.perf_counter() - started, done.returncode, done.stdout + done.stderr)


def suite(code: Code, args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Timed:
    """``registry-conformance run -q ARGS`` of ``code``."""
    command = [sys.executable, "-m", "conformance.cli", "run", "-q", "-p", "no:warnings", *args]
    return run_process(command, cwd, environment(code, env))


def last_line(output: str) -> str:
    """pytest's closing line ("82 passed in 3.1s"), to show what a timed run did."""
    lines = [line for line in output.splitlines() if " in " in line and line.strip()]
    return lines[-1].strip("= ") if lines else "(no summary line)"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def load() -> str:
    """The machine's load, printed next to the numbers measured under it."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


@contextmanager
def stock_server(folder: Path, name: str, workers: int = 1) -> Iterator[str]:
    """A stock ``mlflow server`` on its own SQLite file (a copy of a migrated one), proxying
    artifacts; ``workers``: uvicorn worker processes (``mlflow server --workers``)."""
    template = servers.migrated_sqlite(folder / "template")
    home = folder / name
    home.mkdir()
    database = servers.copy_database(template, home / "mlflow.db")
    print(f"  starting mlflow server {name!r}, {workers} worker(s)", file=sys.stderr, flush=True)
    if workers == 1:
        with servers.mlflow_server(f"sqlite:///{database}", home) as url:
            yield url
        return
    with _mlflow_server_with_workers(f"sqlite:///{database}", home, workers) as url:
        yield url


@contextmanager
def _mlflow_server_with_workers(backend: str, home: Path, workers: int) -> Iterator[str]:
    """``tests/servers.py`` starts one worker only; the same server with more of them."""
    port = servers.free_port()
    log_path = home / f"mlflow-server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "server",
                "--backend-store-uri",
                backend,
                "--artifacts-destination",
                str(home / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            cwd=home,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            servers._wait_until_healthy(url, process, log_path)
            yield url
        finally:
            servers._stop_group(process)


@contextmanager
def target_and_foreign(folder: Path, workers: int = 1) -> Iterator[tuple[str, str]]:
    """The registry under test and a second, independent server for seed row 4."""
    (folder / "template").mkdir(exist_ok=True)
    with ExitStack() as stack:
        target = stack.enter_context(stock_server(folder, "target", workers))
        foreign = stack.enter_context(stock_server(folder, "foreign"))
        yield target, foreign


def target_args(target: str, foreign: str) -> list[str]:
    return ["--registry-uri", target, "--foreign-tracking-uri", foreign]
