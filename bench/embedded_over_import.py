"""The embedded default run (``registry-conformance run -q``, every scenario against the in-process
reference backend) over a bare ``python -c "import mlflow"``: whole processes, median of 5 of
each, in alternation so that both see the same load. Goal <= 1.5x.

    python bench/embedded_over_import.py                          # this checkout
    python bench/embedded_over_import.py --before ../rc-before  # and an earlier one
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

import harness

GOAL_RATIO = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_code_options(parser)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (default 5)")
    args = parser.parse_args()
    codes = harness.codes(args)
    walls: dict[str, list[float]] = defaultdict(list)
    bare = [sys.executable, "-c", "import mlflow"]
    env = harness.inherited_environment()
    print(f"Embedded default over import mlflow; {harness.load()}")
    with harness.workdir("bench-embedded-") as folder:
        for round_ in range(1, args.repeat + 1):
            walls["import mlflow"].append(harness.run_process(bare, folder, env).seconds)
            line = f"  round {round_}: import mlflow {walls['import mlflow'][-1]:5.2f} s"
            for code in codes:
                run = harness.suite(code, [], folder)
                walls[code.name].append(run.seconds)
                line += (
                    f"; suite {code.name} {run.seconds:5.2f} s ({harness.last_line(run.output)})"
                )
            print(line, flush=True)
    print(f"  after the runs: {harness.load()}")
    bare_s = harness.median(walls["import mlflow"])
    print(f"\nMedian of {args.repeat}: import mlflow {bare_s:.2f} s")
    for code in codes:
        suite = harness.median(walls[code.name])
        ratio = suite / bare_s
        verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
        print(
            f"  embedded run {code.name:<6} {suite:5.2f} s   ratio {ratio:.2f}x   "
            f"goal <= {GOAL_RATIO}x: {verdict}"
        )


if __name__ == "__main__":
    main()
