"""Where the embedded default run spends its time beyond ``import mlflow``: wall-clock phases of
one run (interpreter and pytest start, the suite's set-up, collection, the tests, the end), then
the costliest calls of the same run under cProfile (which slows everything down about 1.6x: read
its numbers as shares, the phases as times).

    python bench/profile_embedded.py                          # this checkout
    python bench/profile_embedded.py --before ../rc-before  # and an earlier one
    python bench/profile_embedded.py --top 40
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import sys
import time
from pathlib import Path

import harness

PHASES = (
    ("interpreter, pytest and plugin loading", "plugin loaded"),
    ("pytest start to configure", "configure started"),
    ("configure: the suite's set-up (imports mlflow)", "session started"),
    ("session start to collection", "collection started"),
    ("collection", "collection ended"),
    ("collection end to first test", "first test started"),
    ("tests (setup, call, teardown)", "last test ended"),
    ("last test to session finish", "session finish started"),
    ("session finish: cleanup, results, summary", "unconfigure"),
)
#: Calls worth naming: the suite's, the reference backend's, MLflow's, pytest's.
INTERESTING = ("conformance/", "reference_backend/", "mlflow/", "_pytest/", "pluggy/")


def phases(code: harness.Code, folder: Path) -> None:
    path = folder / f"phases-{code.name}.json"
    started = time.time()
    run = harness.suite(code, ["-p", "phase_clock"], folder, {"RC_BENCH_PHASES_FILE": str(path)})
    ended = time.time()
    data = json.loads(path.read_text())
    stamps = data["stamps"]
    print(f"\n== {code.name}: phases of one embedded run, {run.seconds:.2f} s wall ==")
    previous = started
    for label, stamp in PHASES:
        if stamp in stamps:
            print(f"  {stamps[stamp] - previous:6.2f} s  {label}")
            previous = stamps[stamp]
    print(f"  {ended - previous:6.2f} s  interpreter exit")
    durations = data["durations"]
    print(
        "  tests by phase: "
        + ", ".join(
            f"{when} {durations.get(when, 0):.2f} s" for when in ("setup", "call", "teardown")
        )
    )
    full_gc = data["full_gc"]
    print(f"  full garbage collections before exit: {len(full_gc)}, {sum(full_gc):.2f} s")


def profile(code: harness.Code, folder: Path, top: int) -> None:
    path = folder / f"profile-{code.name}.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(path), "-m", "conformance.cli", "run"]
    command += ["-q", "-p", "no:warnings"]
    run = harness.run_process(command, folder, harness.environment(code))
    stats = pstats.Stats(str(path))
    total = max(row[3] for row in stats.stats.values())  # the outermost cumulative time
    print(
        f"\n== {code.name}: top {top} calls by cumulative time under cProfile ({run.seconds:.1f} s)"
    )
    rows = []
    for (filename, line, function), (_, calls, _, cumulative, _) in stats.stats.items():
        if any(part in filename for part in INTERESTING):
            short = filename.split("site-packages/")[-1].replace(str(code.root) + "/", "")
            rows.append((cumulative, calls, f"{short}:{line}({function})"))
    for cumulative, calls, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cumulative:6.2f} s {100 * cumulative / total:5.1f}%  {calls:6}x  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_code_options(parser)
    parser.add_argument("--top", type=int, default=30, help="calls listed (default 30)")
    args = parser.parse_args()
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    print(f"Embedded default run, profiled; {harness.load()}")
    with harness.workdir("bench-profile-") as folder:
        bare = harness.run_process(
            [sys.executable, "-c", "import mlflow"], folder, harness.inherited_environment()
        )
        print(f"  for scale: python -c 'import mlflow' takes {bare.seconds:.2f} s here")
        for code in harness.codes(args):
            phases(code, folder)
            profile(code, folder, args.top)


if __name__ == "__main__":
    main()
