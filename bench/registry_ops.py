"""Registry throughput of the reference backend against MLflow's SQLite store, and search latency.

    python bench/registry_ops.py            # ~40 s on 2 cores (SQLite migrations alone ~10 s)
    python bench/registry_ops.py --quick    # smaller mix and 20,000 models for the page timing

1. An operation mix (create models and versions, set tags, get, search with filters following
   page tokens) replayed against ``InMemoryRegistryStore`` and ``SqlAlchemyStore`` on a temporary
   SQLite file, in this process: operations per second of each and their ratio (goal >= 50x).
   Both are driven through the store objects with the same prebuilt, seeded call list. Going
   through ``MlflowClient`` would add the same client overhead to both sides; that measures
   MLflow rather than the backends and only compresses the ratio. The reference mix is short, so
   it is run five times on fresh instances and the median is reported.
2. The latency of one page of ``search_registered_models`` (100 results, ``name LIKE 'model-1%'``)
   over 100,000 registered models of the reference backend (goal: median < 5 ms). Timed through
   ``MlflowClient`` against ``memory://`` (what users see; the client appends its prompt filter)
   and through the store object, over pages picked from the whole result by their page tokens.

A measurement, not a test: it exits 0 whether or not the goals are met.
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no telemetry thread in the timings

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag  # noqa: E402
from mlflow.store.model_registry.abstract_store import AbstractStore  # noqa: E402
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore  # noqa: E402

from reference_backend.instances import drop_instance, get_instance  # noqa: E402

GOAL_RATIO = 50.0
GOAL_PAGE_MS = 5.0
SEED = 20240601
TEAMS = [f"team-{n}" for n in range(7)]
SEARCH_EVERY = 10  # models between two rounds of paged searches
PAGE_SIZE_MIX = 50
MAX_PAGES = 10  # pages followed per paged search in the mix
PAGED = "search_registered_models (paged)"
PAGE_FILTER = "name LIKE 'model-1%'"
PAGE_SIZE = 100

Op = tuple[str, tuple[Any, ...]]


def build_mix(models: int, prefix: str = "bench", seed: int = SEED) -> list[Op]:
    """The call list: per model, create it and 3 versions, then tag and read random earlier ones."""
    rng = random.Random(seed)
    ops: list[Op] = []
    for i in range(models):
        name = f"{prefix}-{i}"
        team = RegisteredModelTag("team", rng.choice(TEAMS))
        ops.append(("create_registered_model", (name, [team])))
        for v in range(3):
            tags = [ModelVersionTag("origin", prefix)]
            ops.append(("create_model_version", (name, f"s3://bucket/{name}/{v}", None, tags)))
        earlier = f"{prefix}-{rng.randint(0, i)}"
        ops.append(("set_registered_model_tag", (earlier, RegisteredModelTag("reviewed", str(i)))))
        version = str(rng.randint(1, 3))
        ops.append(("set_model_version_tag", (earlier, version, ModelVersionTag("ok", "true"))))
        ops.append(("get_registered_model", (f"{prefix}-{rng.randint(0, i)}",)))
        ops.append(("get_model_version", (f"{prefix}-{rng.randint(0, i)}", str(rng.randint(1, 3)))))
        ops.append(("search_model_versions", (f"name = '{prefix}-{rng.randint(0, i)}'",)))
        if i % SEARCH_EVERY == SEARCH_EVERY - 1:
            ops.append((PAGED, (f"name LIKE '{prefix}-1%'",)))
            ops.append((PAGED, (f"tags.team = '{rng.choice(TEAMS)}'",)))
    return ops


@dataclass
class MixResult:
    seconds: float = 0.0
    calls: int = 0
    returned: int = 0  # entities returned by searches: both stores must agree
    per_op: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def ops_per_second(self) -> float:
        return self.calls / self.seconds


def run_mix(store: AbstractStore, ops: list[Op]) -> MixResult:
    result = MixResult()
    clock = time.perf_counter
    gc.collect()
    started = clock()
    for method, args in ops:
        if method == PAGED:
            token: str | None = None
            for _ in range(MAX_PAGES):
                t0 = clock()
                page = store.search_registered_models(
                    filter_string=args[0], max_results=PAGE_SIZE_MIX, page_token=token
                )
                result.per_op[method].append(clock() - t0)
                result.returned += len(page)
                token = page.token
                if not token:
                    break
            continue
        t0 = clock()
        answer = getattr(store, method)(*args)
        result.per_op[method].append(clock() - t0)
        if method == "search_model_versions":
            result.returned += len(answer)
    result.seconds = clock() - started
    result.calls = sum(len(times) for times in result.per_op.values())
    return result


def warm_up(store: AbstractStore) -> None:
    """First calls compile queries and fill caches; do them on models deleted afterwards."""
    ops = build_mix(SEARCH_EVERY, prefix="warm", seed=1)
    run_mix(store, ops)
    for method, args in ops:
        if method == "create_registered_model":
            store.delete_registered_model(args[0])


def reference_mix(ops: list[Op], runs: int) -> MixResult:
    results = []
    for run in range(runs):
        uri = f"memory://bench-mix-{run}"
        store = get_instance(uri).registry_store
        warm_up(store)
        results.append(run_mix(store, ops))
        drop_instance(uri)
    return sorted(results, key=lambda r: r.seconds)[len(results) // 2]


def sqlite_mix(ops: list[Op], folder: Path) -> MixResult:
    print("  migrating a fresh SQLite database ...", file=sys.stderr, flush=True)
    store = SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}")
    try:
        warm_up(store)
        print(f"  running {len(ops)} operations on SQLite ...", file=sys.stderr, flush=True)
        return run_mix(store, ops)
    finally:
        store.engine.dispose()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def page_latency(models: int, samples: int) -> tuple[dict[str, list[float]], int]:
    """Seconds per page by path, for ``samples`` pages picked at random; and the result's pages."""
    uri = "memory://bench-page"
    store = get_instance(uri).registry_store
    print(f"  creating {models:,} registered models ...", file=sys.stderr, flush=True)
    for i in range(models):
        name = f"model-{i:0{len(str(models - 1))}d}"
        store.create_registered_model(name, [RegisteredModelTag("team", TEAMS[i % len(TEAMS)])])
        store.create_model_version(name, f"s3://bucket/{name}/1")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)

    paths = {
        "MlflowClient": lambda token: client.search_registered_models(
            filter_string=PAGE_FILTER, max_results=PAGE_SIZE, page_token=token
        ),
        "store object": lambda token: store.search_registered_models(
            filter_string=PAGE_FILTER, max_results=PAGE_SIZE, page_token=token
        ),
    }
    picks: dict[str, list[str | None]] = {}
    for label, search in paths.items():
        tokens: list[str | None] = [None]  # every page's token, by walking the whole result
        while (token := search(tokens[-1]).token) is not None:
            tokens.append(token)
        picks[label] = random.Random(SEED).choices(tokens, k=samples)
    pages = len(tokens)
    # Alternate the paths call by call, so that both see the same machine load.
    timings: dict[str, list[float]] = {label: [] for label in paths}
    gc.collect()
    for k in range(samples):
        for label, search in paths.items():
            t0 = time.perf_counter()
            page = search(picks[label][k])
            timings[label].append(time.perf_counter() - t0)
            assert len(page) == PAGE_SIZE or page.token is None, "short page before the end"
    drop_instance(uri)
    return timings, pages


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller mix and page benchmark")
    parser.add_argument("--models", type=int, help="models in the mix (default 200, quick 40)")
    parser.add_argument("--page-models", type=int, help="models for the page timing (100,000)")
    args = parser.parse_args()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # interleave with the progress on stderr
    models = args.models or (40 if args.quick else 200)
    page_models = args.page_models or (20_000 if args.quick else 100_000)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    ops = build_mix(models)
    print(
        f"Operation mix through the store objects: {models} models, {len(ops)} operations "
        f"(seed {SEED}; a paged search makes one call per page)"
    )
    ref_runs = 5
    ref = reference_mix(ops, ref_runs)
    with tempfile.TemporaryDirectory(prefix="bench-registry-ops-") as folder:
        sql = sqlite_mix(ops, Path(folder))
    if (ref.calls, ref.returned) != (sql.calls, sql.returned):
        print(
            f"  WARNING: the stores disagree: calls {ref.calls} vs {sql.calls}, "
            f"search results {ref.returned} vs {sql.returned}"
        )
    print(f"  {'store':<34}{'calls':>7}{'seconds':>10}{'ops/s':>11}")
    rows = (
        (f"reference (median of {ref_runs} runs)", ref),
        ("MLflow SqlAlchemyStore (SQLite)", sql),
    )
    for label, result in rows:
        print(
            f"  {label:<34}{result.calls:>7}{result.seconds:>10.3f}{result.ops_per_second:>11,.0f}"
        )
    ratio = ref.ops_per_second / sql.ops_per_second
    print(
        f"  ratio reference/SQLite: {ratio:.1f}x   goal >= {GOAL_RATIO:.0f}x: "
        f"{verdict(ratio >= GOAL_RATIO)}"
    )
    print(f"\n  {'mean per call (µs)':<34}{'calls':>7}{'reference':>11}{'SQLite':>10}{'ratio':>8}")
    for method in ref.per_op:
        r, s = ref.per_op[method], sql.per_op[method]
        r_us, s_us = statistics.fmean(r) * 1e6, statistics.fmean(s) * 1e6
        print(f"  {method:<34}{len(r):>7}{r_us:>11.0f}{s_us:>10.0f}{s_us / r_us:>7.0f}x")

    samples = 200
    print(
        f'\nOne page of search_registered_models: {PAGE_SIZE} results, filter "{PAGE_FILTER}", '
        f"{page_models:,} registered models"
    )
    timings, pages = page_latency(page_models, samples)
    print(f"  {samples} calls per path, each for a page picked at random among the {pages}")
    for label, times in timings.items():
        median, p95 = statistics.median(times) * 1e3, percentile(times, 0.95) * 1e3
        print(f"  {label:<36} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    client = timings["MlflowClient"]
    median, p95 = statistics.median(client) * 1e3, percentile(client, 0.95) * 1e3
    print(
        f"  goal < {GOAL_PAGE_MS:.0f} ms per page through MlflowClient: median "
        f"{verdict(median < GOAL_PAGE_MS)} (p95 {verdict(p95 < GOAL_PAGE_MS)})"
    )


if __name__ == "__main__":
    main()
