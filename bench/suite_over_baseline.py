"""The suite's wall time on the seed's 15 rows over the hand-written baseline's
(``bench/baseline_script.py``), against the same stock ``mlflow server`` (SQLite, one worker)
and a second one for seed row 4. Whole processes, interpreter start included; goal <= 2.5x.

    python bench/suite_over_baseline.py                          # this checkout
    python bench/suite_over_baseline.py --before ../rc-before  # and an earlier one
    python bench/suite_over_baseline.py --repeat 3               # medians of 3, in alternation
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

import harness

GOAL_RATIO = 2.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_code_options(parser)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (default 1)")
    args = parser.parse_args()
    codes = harness.codes(args)
    walls: dict[str, list[float]] = defaultdict(list)
    with harness.workdir("bench-baseline-") as folder, harness.target_and_foreign(folder) as urls:
        target, foreign = urls
        print(f"Seed rows: suite over hand-written baseline; {harness.load()}")
        baseline = [
            sys.executable,
            str(harness.BENCH / "baseline_script.py"),
            "--tracking-uri",
            target,
            "--foreign-tracking-uri",
            foreign,
        ]
        env = harness.inherited_environment()
        for round_ in range(1, args.repeat + 1):
            timed = harness.run_process(baseline, folder, env)
            walls["baseline"].append(timed.seconds)
            rows = [line for line in timed.output.splitlines() if line.startswith("row_")]
            ok = sum(line.split()[1] == "ok" for line in rows)
            print(
                f"  round {round_}: baseline {timed.seconds:6.1f} s "
                f"({ok}/{len(rows)} rows ok; exit {timed.exit_code})",
                flush=True,
            )
            if round_ == 1:
                print("\n".join(f"    {row}" for row in rows if row.split()[1] != "ok"))
            for code in codes:
                run = harness.suite(
                    code, ["-m", harness.SEED_ROWS, *harness.target_args(*urls)], folder
                )
                walls[code.name].append(run.seconds)
                print(
                    f"  round {round_}: suite ({code.name:<6}) {run.seconds:6.1f} s "
                    f"({harness.last_line(run.output)}; exit {run.exit_code})",
                    flush=True,
                )
        print(f"  after the runs: {harness.load()}")
    base = harness.median(walls["baseline"])
    print(f"\nMedian of {args.repeat}: hand-written baseline {base:.1f} s")
    for code in codes:
        suite = harness.median(walls[code.name])
        ratio = suite / base
        verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
        print(
            f"  suite {code.name:<6} {suite:6.1f} s   ratio suite/baseline {ratio:.2f}x   "
            f"goal <= {GOAL_RATIO}x: {verdict}"
        )


if __name__ == "__main__":
    main()
