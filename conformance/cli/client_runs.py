"""``run --client``: the scenarios once per MLflow client version, each run in that client's own
environment (:mod:`conformance.cli.client_envs`), then one results document, report and JUnit
file with one column per (client, target).

Each run is ``registry-conformance run`` in its environment with the user's options, except
the outputs, which it writes to a temporary folder for this process to merge. The exit status is
the worst of the runs' (each judged by its own gate when ``--expect`` is given); the merged
document's ``gate`` holds every run's checks, and passed when every run's gate did.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance import documented, results
from conformance.cli.client_envs import (
    ClientEnv,
    ClientEnvError,
    client_requirement,
    environment,
    suite_source,
)
from conformance.cli.client_envs import uv_binary as find_uv
from conformance.namespaces import is_namespace, of_client
from conformance.report import html as report_html
from conformance.report import markdown as report_markdown
from conformance.report import terminal as matrix_text
from conformance.results import clients, merge
from conformance.results import files as results_file

PREFIX = "registry-conformance"
#: pytest's exit codes from best to worst: no test is better than a failed one, a usage error
#: (nothing could run) the worst.
_WORST_LAST = (
    pytest.ExitCode.OK,
    pytest.ExitCode.NO_TESTS_COLLECTED,
    pytest.ExitCode.TESTS_FAILED,
    pytest.ExitCode.INTERRUPTED,
    pytest.ExitCode.INTERNAL_ERROR,
    pytest.ExitCode.USAGE_ERROR,
)


def _outputs_parser() -> argparse.ArgumentParser:
    """The options this process answers for instead of the runs: what is written, and how."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--results-json", type=Path)
    parser.add_argument("--report-html", type=Path)
    parser.add_argument("--report-md", type=Path)
    parser.add_argument("--junitxml", "--junit-xml", dest="junitxml", type=Path)
    parser.add_argument("--documented", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--namespace")
    return parser


def _namespaces(namespace: str | None, clients: int) -> list[str | None]:
    """Each client's run's ``--namespace``: with one given and several clients, ``NS-c1``,
    ``NS-c2``, ...: MLflow keeps a deleted experiment's name, so a second run under the same
    namespace would meet the first one's; ``sweep --namespace NS`` still finds them all."""
    if namespace is None or clients == 1:
        return [namespace] * clients
    each = [of_client(namespace, index) for index in range(1, clients + 1)]
    if not is_namespace(each[-1]):
        raise ClientEnvError(
            f"--namespace {namespace!r}: with {clients} clients each run's is {each[-1]!r} and "
            "the like, which is not a namespace (1-41 letters, digits, '-' or '_')"
        )
    return each


def run_clients(specs: Sequence[str], pytest_args: Sequence[str]) -> int:
    """Run the scenarios through each client of ``specs``; the worst exit status."""
    requirements = [client_requirement(spec) for spec in specs]
    repeated = {r for r in requirements if requirements.count(r) > 1}
    if repeated:
        raise ClientEnvError(f"--client {sorted(repeated)[0]} is given twice")
    outputs, passed_on = _outputs_parser().parse_known_args(list(pytest_args))
    namespaces = _namespaces(outputs.namespace, len(requirements))
    del outputs.namespace  # an option of the runs, not an output
    _check_writable(outputs)
    uv, source = find_uv(), suite_source()
    envs = []
    for requirement in requirements:
        env = environment(requirement, source, uv)
        how = "reused" if env.built_s is None else f"built in {env.built_s:.0f} s"
        print(
            f"{PREFIX}: client {requirement} (MLflow {env.mlflow}): {env.path} ({how})", flush=True
        )
        envs.append(env)
    with tempfile.TemporaryDirectory(prefix="registry-conformance-clients-") as tmp:
        codes, documents, junits = [], [], []
        for index, env in enumerate(envs):
            document_path = Path(tmp) / f"client-{index}.json"
            junit_path = Path(tmp) / f"client-{index}.xml" if outputs.junitxml else None
            print(
                f"{PREFIX}: the scenarios through {env.requirement} (MLflow {env.mlflow})",
                flush=True,
            )
            namespace = namespaces[index]
            run_args = [*passed_on, *(("--namespace", namespace) if namespace else ())]
            codes.append(_run_one(env, run_args, document_path, junit_path))
            if document_path.is_file():
                documents.append((env, results_file.read(document_path)))
            if junit_path is not None and junit_path.is_file():
                junits.append((env, junit_path))
            if codes[-1] is pytest.ExitCode.INTERRUPTED:
                break  # Ctrl-C: no further client; what ran is still written
        _write(outputs, documents, junits)
    return int(max(codes, key=_WORST_LAST.index))


def _check_writable(outputs: argparse.Namespace) -> None:
    """An output that cannot be written is said before any environment is built or run."""
    for name, path in vars(outputs).items():
        if not isinstance(path, Path):
            continue
        flag = "--" + name.replace("_", "-")
        if path.is_dir():
            raise ClientEnvError(f"{flag} {path}: it is a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # as the writers would
        except OSError as exc:
            raise ClientEnvError(f"{flag} {path}: {exc.strerror or exc}") from None
        if not os.access(path if path.exists() else path.parent, os.W_OK):
            raise ClientEnvError(f"{flag} {path}: not writable")


def _run_one(
    env: ClientEnv, passed_on: Sequence[str], document: Path, junit: Path | None
) -> pytest.ExitCode:
    command = [str(env.command), "run", *passed_on, "--unannounced-outputs"]
    command += ["--results-json", str(document)]
    command += ["--junitxml", str(junit)] if junit else []
    with subprocess.Popen(command) as process:
        while True:
            try:
                code = process.wait()
                break
            except KeyboardInterrupt:
                # The run got the Ctrl-C too (one process group) and winds down, its cleanup
                # included: wait for it rather than kill it.
                continue
    try:
        return pytest.ExitCode(code)
    except ValueError:  # killed by a signal, or not pytest's code at all
        return pytest.ExitCode.INTERNAL_ERROR


def _write(
    outputs: argparse.Namespace,
    documents: Sequence[tuple[ClientEnv, dict[str, Any]]],
    junits: Sequence[tuple[ClientEnv, Path]],
) -> None:
    if documents:
        named = [_named(env, document) for env, document in documents]
        merged = merge.merge(named, [f"the run through {env.requirement}" for env, _ in documents])
        gates = [document["gate"] for document in named if "gate" in document]
        if gates and len(gates) == len(named):  # each run gated by the same --expect
            merged["gate"] = {
                **gates[0],
                "passed": all(gate["passed"] for gate in gates),
                "checks": [check for gate in gates for check in gate["checks"]],
                "conformance": [c for gate in gates for c in gate.get("conformance", [])],
            }
        columns = documented.load() if outputs.documented else []
        print(f"{PREFIX}: the clients side by side")
        print("\n".join(matrix_text.render(merged, columns)))
        for path, what, writer in (
            (outputs.results_json, "results document", lambda d, p, _: results.write(d, p)),
            (outputs.report_html, "HTML report", report_html.write),
            (outputs.report_md, "Markdown matrix", report_markdown.write),
        ):
            if path is not None:
                writer(merged, path, columns)
                print(f"wrote the {what}: {path}")
    if outputs.junitxml is not None and junits:
        _merge_junit(junits, outputs.junitxml)
        print(f"wrote the JUnit XML: {outputs.junitxml}")


def _named(env: ClientEnv, document: dict[str, Any]) -> dict[str, Any]:
    """The run's document with every column named by its client and the requirement recorded."""
    named = clients.name_by_client(document)
    for target in named["targets"]:
        target["client"]["requested"] = env.requirement
    return named


def _merge_junit(junits: Sequence[tuple[ClientEnv, Path]], path: Path) -> None:
    """One JUnit file: every run's test suites, each named by its client."""
    merged = ET.Element("testsuites")
    for env, junit in junits:
        root = ET.parse(junit).getroot()
        for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
            suite.set("name", f"{suite.get('name', 'pytest')} (client MLflow {env.mlflow})")
            merged.append(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(merged).write(path, encoding="utf-8", xml_declaration=True)
