"""The in-memory registry under concurrent use: no lost updates, no duplicate numbers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.exceptions import MlflowException

from reference_backend.registry_store import InMemoryRegistryStore

THREADS = 16


def run_in_threads(task: Callable[[int], object], count: int = THREADS) -> list[object]:
    """Run ``task(i)`` for every i at once (a barrier lines the threads up) and collect results."""
    barrier = threading.Barrier(count)

    def start(i: int) -> object:
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_concurrent_versions_of_one_model_get_numbers_one_to_n() -> None:
    store = InMemoryRegistryStore()
    store.create_registered_model("m")
    per_thread = 8

    def create(i: int) -> list[int]:
        return [
            store.create_model_version("m", f"s3://b/{i}/{j}").version for j in range(per_thread)
        ]

    numbers = [number for batch in run_in_threads(create) for number in batch]
    expected = set(range(1, THREADS * per_thread + 1))
    assert sorted(numbers) == sorted(expected)
    listed = store.search_model_versions("name = 'm'", max_results=1000)
    assert {mv.version for mv in listed} == expected


def test_concurrent_tags_with_distinct_keys_are_all_kept() -> None:
    store = InMemoryRegistryStore()
    store.create_registered_model("m")
    store.create_model_version("m", "s3://b/1")

    def tag(i: int) -> None:
        store.set_registered_model_tag("m", RegisteredModelTag(f"k{i}", str(i)))
        store.set_model_version_tag("m", 1, ModelVersionTag(f"k{i}", str(i)))

    run_in_threads(tag)
    expected = {f"k{i}": str(i) for i in range(THREADS)}
    assert store.get_registered_model("m").tags == expected
    assert store.get_model_version("m", 1).tags == expected


def test_concurrent_creates_of_one_name_succeed_exactly_once() -> None:
    store = InMemoryRegistryStore()

    def create(_: int) -> str:
        try:
            store.create_registered_model("m")
        except MlflowException as error:
            return error.error_code
        return "created"

    outcomes = run_in_threads(create)
    assert sorted(outcomes) == ["RESOURCE_ALREADY_EXISTS"] * (THREADS - 1) + ["created"]


def test_paging_sees_every_stable_model_once_while_others_churn() -> None:
    store = InMemoryRegistryStore()
    stable = [f"stable-{i:03d}" for i in range(200)]
    for name in stable:
        store.create_registered_model(name)
    stop = threading.Event()

    def churn() -> None:
        # Models appear and vanish between the stable ones: every page boundary moves.
        i = 0
        while not stop.is_set():
            store.create_registered_model(f"stable-{i:05d}x")
            if i % 2:
                store.delete_registered_model(f"stable-{i - 1:05d}x")
            i += 1

    def page_through() -> list[str]:
        seen, token = [], None
        while True:
            page = store.search_registered_models(
                "name LIKE 'stable-%'", max_results=7, page_token=token
            )
            seen += [model.name for model in page]
            if (token := page.token) is None:
                return seen

    with ThreadPoolExecutor(max_workers=1) as pool:
        churning = pool.submit(churn)
        try:
            readings = run_in_threads(lambda _: page_through(), count=4)
        finally:
            stop.set()
        churning.result()  # re-raises anything the churn thread hit
    for seen in readings:
        assert len(seen) == len(set(seen))
        assert set(stable) <= set(seen)
