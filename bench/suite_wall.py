"""Wall time of the whole suite, interpreter start included, per target and parallelism.

    python bench/suite_wall.py            # embedded, reference over HTTP, mlflow server on SQLite

Prints one line per run and the ratio to the goal (20 s against the embedded default on a
2-core machine). Servers are started before the clock starts: their boot is not the suite's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import harness
from harness import servers

GOAL_EMBEDDED_S = 20.0


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-suite-"))
    rows: list[tuple[str, str, float, int]] = []
    code = harness.Code("now", harness.ROOT)

    def measure(label: str, target_args: list[str]) -> None:
        for parallel in ([], ["-n", "2"]):
            run = harness.suite(code, target_args + parallel, workdir)
            rows.append((label, "-n 2" if parallel else "serial", run.seconds, run.exit_code))
            print(
                f"{label:<28} {rows[-1][1]:<7} {run.seconds:7.1f} s  exit {run.exit_code}",
                flush=True,
            )

    measure("embedded reference", [])
    with servers.reference_server(workdir=workdir) as url:
        measure("reference over HTTP", ["--registry-uri", url])
    database = servers.migrated_sqlite(workdir)
    with servers.mlflow_server(f"sqlite:///{database}", workdir) as url:
        measure(
            "mlflow server (SQLite)",
            ["--registry-uri", url, "--foreign-tracking-uri", "memory://bench-foreign"],
        )
    embedded = min(seconds for label, _, seconds, _ in rows if label == "embedded reference")
    print(
        f"\nembedded best {embedded:.1f} s; goal {GOAL_EMBEDDED_S:.0f} s; "
        f"ratio goal/measured = {GOAL_EMBEDDED_S / embedded:.1f}x"
    )


if __name__ == "__main__":
    main()
