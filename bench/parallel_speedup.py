"""The ``-n`` speed-up of a full run against a stock ``mlflow server`` with 4 workers (uvicorn
worker processes, ``mlflow server --workers 4``; SQLite), serial vs ``-n 2`` vs ``-n 4``.

    python bench/parallel_speedup.py                          # this checkout
    python bench/parallel_speedup.py --before ../rc-before  # and an earlier one
    python bench/parallel_speedup.py --server-workers 1       # a one-worker server instead

Whole processes, interpreter start included; speed-up = serial wall / parallel wall. On a
2-core machine the client processes and the server's workers share the cores.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import harness

MODES = (("serial", []), ("-n 2", ["-n", "2"]), ("-n 4", ["-n", "4"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_code_options(parser)
    parser.add_argument("--server-workers", type=int, default=4, help="default 4")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (default 1)")
    args = parser.parse_args()
    codes = harness.codes(args)
    walls: dict[tuple[str, str], list[float]] = defaultdict(list)
    with (
        harness.workdir("bench-parallel-") as folder,
        harness.target_and_foreign(folder, workers=args.server_workers) as urls,
    ):
        print(
            f"-n speed-up, full run, mlflow server with {args.server_workers} worker(s); "
            f"{harness.load()}"
        )
        for _ in range(args.repeat):
            for code in codes:
                for mode, option in MODES:
                    run = harness.suite(code, [*option, *harness.target_args(*urls)], folder)
                    walls[(code.name, mode)].append(run.seconds)
                    print(
                        f"  {code.name:<6} {mode:<6} {run.seconds:6.1f} s  "
                        f"({harness.last_line(run.output)}; exit {run.exit_code})",
                        flush=True,
                    )
        print(f"  after the runs: {harness.load()}")
    print(f"\nMedian of {args.repeat}, speed-up = serial / parallel:")
    for code in codes:
        serial = harness.median(walls[(code.name, "serial")])
        speedups = ", ".join(
            f"{mode} {harness.median(walls[(code.name, mode)]):.1f} s "
            f"({serial / harness.median(walls[(code.name, mode)]):.2f}x)"
            for mode, _ in MODES[1:]
        )
        print(f"  {code.name:<6} serial {serial:.1f} s; {speedups}")


if __name__ == "__main__":
    main()
