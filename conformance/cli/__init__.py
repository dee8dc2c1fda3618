"""``registry-conformance``: run the scenarios, render reports, compare runs, list features.

Each subcommand is one ``add_*(subparsers)`` function below that adds its parser and sets
``handler`` (``Namespace -> exit code``); ``COMMANDS`` lists them in ``--help`` order.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import documented
from conformance.cli import client_envs, client_runs
from conformance.cli import expectations as expectations_cli
from conformance.masking import mask_text, mask_uri
from conformance.namespaces import is_namespace
from conformance.report import html as report_html
from conformance.report import markdown as report_markdown
from conformance.report import terminal as matrix_text
from conformance.results import clients, compare, levels, merge
from conformance.results import files as results_file
from conformance.run import client_env
from conformance.targets import DEFAULT_TARGET

SCENARIO_PACKAGE = "conformance.scenarios"
PROG = "registry-conformance"


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


def add_run(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the shipped scenarios (pytest underneath; every argument passed through)",
        description="Run the shipped scenarios with pytest. Every argument goes to pytest: the "
        "plugin's options (--registry-uri, --tracking-uri, --foreign-tracking-uri, "
        "--target-label, --namespace, --results-json, --report-html, --report-md, "
        "--[no-]documented, --expect, --level, --seed-rows, --list-features) and pytest's own "
        "(-m, -k, -n, -q, "
        f"--junitxml). Without --registry-uri the target is {DEFAULT_TARGET}. --strict here "
        "means --strict-expectations (the gate also fails on unexpected passes and unverified "
        "claims); pytest's own --strict is not needed by the shipped scenarios.",
        epilog=f"All options, the plugin's included: pytest --pyargs {SCENARIO_PACKAGE} --help",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="SPEC",
        help="run the scenarios through this MLflow client (mlflow==3.1.4, or 3.1.4), in its own "
        "cached virtual environment built with uv; repeatable: one run per client, one column "
        f"per client and target in the outputs (environments under ${client_envs.CACHE_VARIABLE}"
        "/clients, else the user's cache folder)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.client:
        try:
            return client_runs.run_clients(args.client, args.extra)
        except (client_envs.ClientEnvError, merge.MergeError) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None
    # pytest owns --strict, so the plugin's gate option has a longer name; the command, which
    # only runs our scenarios, gives users the short one the gate is documented with.
    extra = ["--strict-expectations" if arg == "--strict" else arg for arg in args.extra]
    # The cache provider would write .pytest_cache into whatever folder the user stands in.
    return int(pytest.main(["-p", "no:cacheprovider", "--pyargs", SCENARIO_PACKAGE, *extra]))


def add_report(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="merge results documents into one matrix and render it",
        description="Merge one or more results documents (one per target or CI job) into one "
        "matrix, print it, and write it as HTML and/or Markdown.",
    )
    parser.add_argument("documents", nargs="+", type=Path, metavar="RESULTS.json")
    parser.add_argument("--html", type=Path, metavar="PATH", help="write the HTML report")
    parser.add_argument("--md", type=Path, metavar="PATH", help="write the Markdown matrix")
    parser.add_argument(
        "--documented",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="show the seed article's documented columns (Azure ML's published claims, not "
        "measurements) beside the measured ones (default: leave them out)",
    )
    parser.add_argument(
        "--pivot",
        metavar="TARGET-ID",
        help="show one target's columns only, one per MLflow client it was measured through "
        "(run --client, or documents of runs through different clients): rows are features, "
        "columns client versions",
    )
    _add_selection(parser, "show only the rows of")
    parser.set_defaults(handler=report)


def _add_selection(parser: argparse.ArgumentParser, what: str) -> None:
    """``--level`` and ``--seed-rows``, as ``run`` takes them."""
    parser.add_argument(
        "--level",
        action="append",
        type=_argument(levels.parse_levels),
        default=[],
        metavar="LEVEL",
        help=f"{what} features of this support level: core or extended (repeatable or "
        "comma-separated)",
    )
    parser.add_argument(
        "--seed-rows",
        nargs="?",
        const="all",
        type=_argument(levels.parse_seed_rows),
        metavar="ROWS",
        help=f"{what} the seed table's rows: all of them, or those listed (e.g. 1-5,12)",
    )


def _argument(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser of ``levels`` as an argparse type: its message is the usage error."""

    def parsed(text: str) -> Any:
        try:
            return parse(text)
        except levels.SelectionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parsed


def _selection(args: argparse.Namespace) -> levels.Selection:
    return levels.Selection.of([lv for given in args.level for lv in given], args.seed_rows)


def report(args: argparse.Namespace) -> int:
    documents = [results_file.read(path) for path in args.documents]
    try:
        document = merge.merge(documents, [str(path) for path in args.documents])
        if args.pivot is not None:
            document = clients.pivot(document, args.pivot)
    except (merge.MergeError, clients.PivotError) as exc:
        raise CommandError(str(exc)) from None
    selection = _selection(args)
    if selection.levels and not levels.has_levels(document):
        names = ", ".join(str(path) for path in args.documents)
        raise CommandError(
            f"{names}: no support level recorded (written before features carried one); "
            "--level needs documents of a newer run (--seed-rows works on any)"
        )
    columns = documented.load() if args.documented else []
    print("\n".join(matrix_text.render(document, columns, selection)))
    for path, what, writer in (
        (args.html, "HTML report", report_html.write),
        (args.md, "Markdown matrix", report_markdown.write),
    ):
        if path is not None:
            try:
                writer(document, path, columns, selection)
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
            print(f"wrote the {what}: {path}")
    return 0


def add_compare(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="list regressions and fixes between two results documents",
        description="Compare two results documents target by target (matched by id, else by "
        "label). Verdicts rank supported > partial > unsupported > not-tested > inconclusive > "
        "non-conformant; a move down is a regression. Exit status 1 when there is one. "
        "Operations whose p95 latency grew by more than --p95-factor are listed as slowdowns.",
    )
    parser.add_argument("base", type=Path, metavar="BASE.json")
    parser.add_argument("head", type=Path, metavar="HEAD.json")
    parser.add_argument(
        "--p95-factor",
        type=float,
        default=compare.P95_FACTOR,
        metavar="FACTOR",
        help="list an operation as slower when its p95 grew more (default %(default)s)",
    )
    parser.add_argument("--fail-on-slowdown", action="store_true", help="exit 1 on a slowdown too")
    parser.set_defaults(handler=compare_documents)


def compare_documents(args: argparse.Namespace) -> int:
    comparison = compare.compare(
        results_file.read(args.base), results_file.read(args.head), args.p95_factor
    )
    print("\n".join(compare.format_comparison(comparison)))
    slowed = args.fail_on_slowdown and comparison.slowdowns
    return 1 if comparison.regressions or slowed else 0


def add_features(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "features",
        help="list the feature catalogue",
        description="The feature catalogue: seed row, id, support level (core: what every "
        "MLflow-compatible registry must do; extended: optional), the -m marker that selects "
        "its scenarios, title (the same listing as run --list-features).",
    )
    _add_selection(parser, "list only the")
    parser.set_defaults(handler=features)


def features(args: argparse.Namespace) -> int:
    selection = _selection(args)
    print("\n".join(matrix_text.feature_listing(selection or None)))
    return 0


def add_sweep(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="list (and with --yes delete) what an interrupted run left behind",
        description="List every entity of one run's namespace (the prefix 'run' prints at its "
        "start and stores in the results document): registered models named NAMESPACE-... "
        "with their versions and aliases, experiments named NAMESPACE-... with their runs, "
        "webhooks named NAMESPACE-..., and workspaces named as the run names them "
        "(NAMESPACE-WORKER-N-HINT, with the run's models in each). Nothing else is ever "
        "matched, and a workspace is deleted only once it holds nothing. Without --yes nothing "
        "is deleted.",
    )
    parser.add_argument("--namespace", required=True, metavar="NAMESPACE")
    parser.add_argument("--registry-uri", required=True, metavar="URI")
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="where the run's experiments are (default: the registry URI)",
    )
    parser.add_argument("--yes", action="store_true", help="delete what is listed")
    parser.set_defaults(handler=sweep_namespace)


def sweep_namespace(args: argparse.Namespace) -> int:
    if not is_namespace(args.namespace):
        raise CommandError(f"--namespace {args.namespace!r} is not a namespace the suite makes")
    client_env.disable_telemetry()  # before MLflow is imported, which reads it then
    from conformance.run import sweep

    # A run's client settings: no retrying for minutes when the registry does not answer.
    client_env.apply()
    tracking_uri = args.tracking_uri or args.registry_uri
    where = mask_uri(args.registry_uri)
    try:
        found = sweep.find(args.namespace, args.registry_uri, tracking_uri)
    except Exception as exc:  # unreachable, refused, unauthorised: one line, no traceback
        raise CommandError(mask_text(f"cannot list {where}: {exc}").splitlines()[0]) from None
    lines = found.lines()
    print(f"namespace {args.namespace} on {where}: {len(lines)} entities")
    print("\n".join(f"  {line}" for line in lines))
    if not args.yes:
        if lines:
            print("nothing deleted: run again with --yes to delete them")
        return 0
    leftovers = sweep.delete(found, args.registry_uri, tracking_uri)
    for leftover in leftovers:
        print(mask_text(f"left behind: {leftover.name}: {leftover.reason}"))
    print(f"deleted {len(lines) - len(leftovers)} of {len(lines)}")
    return 1 if leftovers else 0


COMMANDS: list[Callable[[Any], None]] = [
    add_run,
    add_report,
    add_compare,
    add_features,
    add_sweep,
    expectations_cli.register,
]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Conformance suite for MLflow-compatible model registries.",
        epilog=f"'{PROG} COMMAND --help' describes each command. Without a command, or with "
        "options first, 'run' is meant (the form of earlier versions).",
    )
    subparsers = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(subparsers)
    return top


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        args.insert(0, "run")
    top = parser()
    if args[0] == "run":
        namespace, extra = top.parse_known_args(args)
        namespace.extra = extra  # pytest's arguments, in their order
    else:
        namespace = top.parse_args(args)
    try:
        return int(namespace.handler(namespace))
    except (CommandError, results_file.ResultsFileError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a Ctrl-C pytest itself could not absorb: no traceback
        print(f"{PROG}: interrupted", file=sys.stderr)
        return int(pytest.ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`| head`); what is left unprinted was not wanted. Point stdout
        # at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
