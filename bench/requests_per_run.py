"""Requests per full run against a stock ``mlflow server`` (SQLite, one worker), in total, per
scenario, by phase and by operation.

    python bench/requests_per_run.py                          # this checkout
    python bench/requests_per_run.py --before ../rc-before  # and an earlier one, same servers

Serial runs, so that every request belongs to the test running when it was sent; requests to the
second server (seed row 4's foreign tracking server) are not counted. Counted by
``bench/request_counter.py`` at the transport, the same way for any version of the suite.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import harness
from request_counter import AFTER_TESTS, BEFORE_TESTS, BETWEEN_TESTS

OUTSIDE_TESTS = (BEFORE_TESTS, BETWEEN_TESTS, AFTER_TESTS)
GOAL_PER_SCENARIO = 12


#: Path parts that name one entity or file, folded so that an operation is counted as one.
_ENTITY_PARTS = (
    (re.compile(r"(/mlflow-artifacts/artifacts)/.*"), r"\1/*"),
    (re.compile(r"/m-[0-9a-f]{32}"), "/m-*"),
)


def operation_of(raw: str) -> str:
    """``METHOD /path`` with artifact paths and logged-model ids folded (one row per endpoint)."""
    for pattern, replacement in _ENTITY_PARTS:
        raw = pattern.sub(replacement, raw)
    return raw


def count(
    code: harness.Code, target: str, foreign: str, folder: Path, select: str | None = None
) -> dict:
    prefix = folder / f"requests-{code.name}"
    selection = ["-k", select] if select else []
    timed = harness.suite(
        code,
        ["-p", "request_counter", *harness.target_args(target, foreign), *selection],
        folder,
        {"RC_BENCH_COUNT_URL": target, "RC_BENCH_COUNT_FILE": str(prefix)},
    )
    places: Counter[tuple[str, str]] = Counter()
    operations: Counter[tuple[str, str]] = Counter()
    test_operations: Counter[tuple[str, str]] = Counter()  # (test, operation), phases summed
    for path in folder.glob(f"{prefix.name}.*.json"):
        data = json.loads(path.read_text())
        places.update({(test, phase): n for test, phase, n in data["places"]})
        for moment, op, n in data["operations"]:
            operations[(moment, operation_of(op))] += n
        for test, _, op, n in data.get("test_operations", []):
            test_operations[(test, operation_of(op))] += n
    return {
        "timed": timed,
        "places": places,
        "operations": operations,
        "test_operations": test_operations,
    }


def report(code: harness.Code, measured: dict, top: int, detail: int) -> tuple[int, float]:
    places, operations = measured["places"], measured["operations"]
    per_test: dict[str, Counter[str]] = defaultdict(Counter)
    for (test, phase), n in places.items():
        per_test[test][phase or "-"] += n
    scenarios = {test: phases for test, phases in per_test.items() if test not in OUTSIDE_TESTS}
    total = sum(places.values())
    mean = sum(sum(p.values()) for p in scenarios.values()) / max(1, len(scenarios))
    timed = measured["timed"]
    print(f"\n== {code.name} ({code.root}) ==")
    summary = harness.last_line(timed.output)
    print(f"  run: {summary}; exit {timed.exit_code}; {timed.seconds:.1f} s")
    for line in timed.output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            print(f"    {line[:300]}")
    print(f"  requests to the target in one full run: {total}")
    print(
        f"  scenarios: {len(scenarios)}; requests per scenario (setup+call+teardown): "
        f"mean {mean:.1f} (goal <= {GOAL_PER_SCENARIO}); total over all, outside tests "
        f"included: {total / max(1, len(scenarios)):.1f} per scenario"
    )
    phases: Counter[str] = Counter()
    for test_phases in scenarios.values():
        phases.update(test_phases)
    print("  by phase: " + ", ".join(f"{phase} {n}" for phase, n in phases.most_common()))
    for outside in OUTSIDE_TESTS:
        print(f"  {outside}: {sum(per_test.get(outside, Counter()).values())}")
    print("  per scenario (setup/call/teardown), most first:")
    for test, test_phases in sorted(scenarios.items(), key=lambda kv: -sum(kv[1].values())):
        split = "/".join(str(test_phases[p]) for p in ("setup", "call", "teardown"))
        print(f"    {sum(test_phases.values()):4}  {split:>11}  {test}")
    ranked = sorted(scenarios.items(), key=lambda kv: -sum(kv[1].values()))
    if detail:
        print(f"  the {detail} costliest scenarios by operation (all phases):")
    for test, _ in ranked[:detail]:
        ops = {op: n for (t, op), n in measured["test_operations"].items() if t == test}
        print(f"    {test}")
        print("      " + ", ".join(f"{n} {op}" for op, n in Counter(ops).most_common()))
    by_operation: Counter[str] = Counter()
    for (_, operation), n in operations.items():
        by_operation[operation] += n
    print(f"  top {top} operations:")
    for operation, n in by_operation.most_common(top):
        print(f"    {n:5}  {operation}")
    print(f"  top {top} operations by phase (setup, call, teardown) or moment outside tests:")
    for (moment, operation), n in operations.most_common(top):
        print(f"    {n:5}  {moment:<9.40}  {operation}")
    return total, mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_code_options(parser)
    parser.add_argument("--top", type=int, default=15, help="operations listed (default 15)")
    parser.add_argument(
        "--select",
        metavar="EXPRESSION",
        help="run only the scenarios pytest's -k EXPRESSION selects (the same set for both "
        "checkouts, e.g. the scenario files an earlier checkout had)",
    )
    parser.add_argument(
        "--detail", type=int, default=0, help="costliest scenarios listed by operation (default 0)"
    )
    args = parser.parse_args()
    totals = {}
    with harness.workdir("bench-requests-") as folder, harness.target_and_foreign(folder) as urls:
        print(f"Requests per full run, stock mlflow server on SQLite; {harness.load()}")
        for code in harness.codes(args):
            measured = count(code, *urls, folder, args.select)
            totals[code.name] = report(code, measured, args.top, args.detail)
    print("\nSummary: requests per full run (per scenario)")
    for name, (total, mean) in totals.items():
        print(f"  {name:<7} {total:6}  ({mean:.1f} per scenario)")
    if len(totals) == 2:
        (before, _), (now, _) = totals.values()
        print(f"  ratio now/before: {now / before:.2f}")


if __name__ == "__main__":
    main()
