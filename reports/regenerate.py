"""``python -m reports.regenerate`` (from the repository root): measure every column and the
client-skew table's servers again and republish the report.

Columns run one after another (the machines have two cores). Whatever a column starts is stopped
and removed when it ends, on failure, Ctrl-C and SIGTERM too: servers by process group, databases
dropped, scratch folders deleted. A column's document is replaced only by a complete run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from conformance import results
from conformance.cli.client_envs import ClientEnvError, cache_root, uv_binary
from reports.client_skew import SERVERS, client_environment
from reports.columns import COLUMNS, Column, Setup, run_env
from reports.publish import publish, result_path
from reports.stabilise import stabilise, volatile_values

#: Fixed, so that model names quoted in evidence are the same on every regeneration. Not for
#: the runs through several clients against one server: MLflow keeps a deleted experiment's
#: name, so the second run could not make its experiment again; each mints its own, and
#: reports/stabilise.py masks it.
NAMESPACE = "published"
_SUITE_TIMEOUT_S = 900
#: pytest's exit codes for "all passed" and "some failed": both are measurements.
_MEASURED = (0, 1)
#: They would point the embedded column elsewhere.
_IGNORED_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
_INSTALL_HINT = "install the drivers with: pip install -e '.[reports]'"
#: The report's columns, then the client-skew table's servers: what is measured, by id.
MEASURED = {column.id: column for column in (*COLUMNS, *SERVERS)}


class Failure(RuntimeError):
    """A column could not be measured; the message says why."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reports.regenerate", description=__doc__)
    parser.add_argument(
        "--column",
        action="append",
        choices=list(MEASURED),
        default=[],
        help="measure only this column or client-skew server (repeatable); the report is "
        "rendered from all documents",
    )
    parser.add_argument(
        "--client-skew",
        action="store_true",
        help="measure only the client-skew table: each of its servers through every MLflow "
        "client of reports/client_skew.py (with --column: those too)",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: render the report and README from the committed documents "
        "(after a change of the renderer; needs no database)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.render_only:
        publish()
        return 0
    chosen = [*args.column, *(server.id for server in SERVERS if args.client_skew)]
    columns = [MEASURED[id_] for id_ in dict.fromkeys(chosen)] or list(MEASURED.values())
    problems = missing_requirements(columns)
    if problems:
        print("regenerate: cannot measure:\n" + "\n".join(problems), file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    try:
        for index, column in enumerate(columns, 1):
            _measure(column, f"[{index}/{len(columns)}] {column.id}")
        publish()
    except Failure as exc:
        print(f"regenerate: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("regenerate: interrupted; what it had started is stopped", file=sys.stderr)
        return 130
    print(f"regenerated reports/ in {time.monotonic() - started:.0f}s")
    return 0


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def missing_requirements(columns: list[Column]) -> list[str]:
    """One line per database server the columns need that is not usable here, and one if they
    measure through other MLflow clients and there is no uv to build their environments."""
    servers = dict.fromkeys(uri for column in columns for uri in column.databases)
    problems = [problem for uri in servers if (problem := _database_problem(uri))]
    if any(column.clients for column in columns):
        try:
            uv_binary()
        except ClientEnvError as exc:
            problems.append(f"  the client-skew table: {exc}")
    return problems


def _database_problem(uri: str) -> str | None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(uri)
    except ModuleNotFoundError as exc:
        return f"  {uri}: the Python driver {exc.name!r} is missing; {_INSTALL_HINT}"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return (
            f"  {uri}: cannot connect ({type(exc).__name__}: {first_line}); "
            "reports/README.md says which database servers the columns need"
        )
    finally:
        engine.dispose()
    return None


def _measure(column: Column, title: str) -> None:
    reason = column.unavailable()
    if reason:
        print(f"{title}: skipped, {reason}; its document is left as it is", flush=True)
        return
    print(f"{title}: starting", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"rc-report-{column.id}-") as scratch:
        workdir = Path(scratch).resolve()
        (workdir / "tmp").mkdir()
        try:
            # The clients' environments first (built once, then reused by the run and any
            # server of that version): their folders are masked like the checkout's.
            masks = {str(client_environment(c).path): "<client-env>" for c in column.clients}
            with column.start(workdir) as setup:
                document = _run_suite(column, setup, workdir)
        except (RuntimeError, ClientEnvError) as exc:  # a server that would not start, a suite
            # that did not finish, a client environment uv could not build
            raise Failure(f"{column.id}: {exc}") from exc
        if len(document["targets"]) != max(1, len(column.clients)):
            raise Failure(f"{column.id}: a client's run left no column: {document['targets']}")
        for target in document["targets"]:
            target["server"].update(setup.facts)
        masks.update({str(cache_root()): "<clients-cache>", **setup.masks})
        published = stabilise(document, volatile_values(workdir, masks))
    results.write(published, result_path(column))
    print(f"{title}: {_summary(published)} ({time.monotonic() - started:.0f}s)", flush=True)


def _run_suite(column: Column, setup: Setup, workdir: Path) -> dict[str, Any]:
    """Run the whole suite serially against the setup's target, named as the column; return its
    results document.

    Serially because MLflow's offset page tokens make a concurrent walk of seed row 5 unjudgeable.
    """
    document_path, log_path = workdir / "results.json", workdir / "suite.log"
    timeout = _SUITE_TIMEOUT_S * max(1, len(column.clients))
    command = [
        *(sys.executable, "-m", "conformance.cli", "run", "-q"),
        *(() if column.clients else ("--namespace", NAMESPACE)),
        *(option for client in column.clients for option in ("--client", client)),
        *("--basetemp", str(workdir / "basetemp")),
        *("--target-label", column.label),
        *("--foreign-tracking-uri", setup.foreign_tracking_uri),
        *("--results-json", str(document_path)),
        *(("--registry-uri", setup.registry_uri) if setup.registry_uri else ()),
    ]
    environment = {k: v for k, v in os.environ.items() if k not in _IGNORED_VARIABLES}
    with log_path.open("wb") as log:
        try:
            status = subprocess.run(
                command,
                cwd=workdir,
                env={**environment, **run_env(workdir), **setup.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired as exc:
            raise Failure(f"the suite did not finish in {timeout}s") from exc
    document = json.loads(document_path.read_text("utf-8")) if document_path.exists() else None
    if status not in _MEASURED or document is None or not document["complete"]:
        tail = log_path.read_text("utf-8", errors="replace")[-3000:]
        raise Failure(f"the suite exited {status} without a complete results document:\n{tail}")
    return document


def _summary(document: dict[str, Any]) -> str:
    """The verdicts' counts; per client when the document has a column per client."""
    parts = []
    for target in document["targets"]:
        verdicts = [v["verdict"] for v in document["verdicts"] if v["target"] == target["id"]]
        counts = ", ".join(f"{n} {verdict}" for verdict, n in Counter(verdicts).most_common())
        client = target["client"].get("requested") if "base" in target else None
        parts.append(f"{client}: {counts}" if client else counts)
    return "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
