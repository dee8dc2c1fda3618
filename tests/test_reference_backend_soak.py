"""Load over HTTP: 8 threads x 1,000 mixed registry operations through MLflow's client.

The served reference backend runs in its own process; each thread drives a stock ``MlflowClient``
(client retries off, so no failure is hidden) through a seeded random mix of creates, tag and
alias edits, description updates, renames, version deletes, searches and gets. Each thread owns
its models, tag keys and aliases, and also works on two models that every thread shares, so
that what it expects to read is exact even while the others write. Checked during the run
(owned models read back exactly as the thread left them) and after it:

* no call failed;
* version numbers per model are unique and 1..N in creation order, deleted ones never reused;
* no tag or alias is lost: each thread's survive unless that thread deleted them;
* searches agree with gets, entity by entity.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion, RegisteredModel

from tests.served_reference import ServedReference, served_reference_backend

pytestmark = pytest.mark.slow

THREADS = 8
OPERATIONS_PER_THREAD = 1_000
SHARED_MODELS = 2
SEED = 20_241_128


@dataclass
class Version:
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""


@dataclass
class Model:
    """What one thread knows about a model: all of it if it owns it, its own part if shared."""

    name: str
    owned: bool
    tags: dict[str, str] = field(default_factory=dict)
    deleted_tags: set[str] = field(default_factory=set)
    aliases: dict[str, int] = field(default_factory=dict)
    deleted_aliases: set[str] = field(default_factory=set)
    description: str = ""
    versions: dict[int, Version] = field(default_factory=dict)  # this thread's, still alive
    created: list[int] = field(default_factory=list)  # this thread's, in creation order


@dataclass
class Worker:
    """One thread's client, random stream, operation log and expectations."""

    index: int
    client: MlflowClient
    namespace: str
    shared: list[Model]
    random: random.Random
    own: list[Model] = field(default_factory=list)
    counter: int = 0
    operations: dict[str, int] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{self.namespace}-t{self.index}-"

    def fresh(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}{self.index}x{self.counter}"

    def models(self) -> list[Model]:
        return self.own + self.shared

    # The operations: each makes one client call (one HTTP request) and returns True, or returns
    # False at once when it has nothing to act on (another one is drawn then).

    def create_model(self) -> bool:
        name = f"{self.prefix}{self.fresh('m')}"
        description = self.fresh("d")
        self.client.create_registered_model(
            name, tags={"owner": str(self.index)}, description=description
        )
        self.own.append(Model(name, True, {"owner": str(self.index)}, description=description))
        return True

    def create_version(self) -> bool:
        model = self.random.choice(self.models())
        tags = {f"t{self.index}": "v"}
        # No waiting for READY (a second request): the store answers READY at once.
        mv = self.client.create_model_version(
            model.name, f"s3://soak/{model.name}", tags=tags, await_creation_for=0
        )
        number = int(mv.version)
        assert not model.created or number > model.created[-1], (model.name, model.created, number)
        model.created.append(number)
        model.versions[number] = Version(dict(tags))
        return True

    def set_model_tag(self) -> bool:
        model = self.random.choice(self.models())
        key, value = f"k{self.index}-{self.random.randrange(6)}", self.fresh("v")
        self.client.set_registered_model_tag(model.name, key, value)
        model.tags[key] = value
        model.deleted_tags.discard(key)
        return True

    def delete_model_tag(self) -> bool:
        model = self.random.choice(self.models())
        mine = sorted(key for key in model.tags if key.startswith(f"k{self.index}-"))
        if not mine:
            return False
        key = self.random.choice(mine)
        self.client.delete_registered_model_tag(model.name, key)
        del model.tags[key]
        model.deleted_tags.add(key)
        return True

    def _a_version(self) -> tuple[Model, int] | None:
        candidates = [(m, n) for m in self.models() for n in m.versions]
        return self.random.choice(candidates) if candidates else None

    def set_version_tag(self) -> bool:
        if not (picked := self._a_version()):
            return False
        model, number = picked
        key, value = f"k{self.index}-{self.random.randrange(4)}", self.fresh("v")
        self.client.set_model_version_tag(model.name, str(number), key, value)
        model.versions[number].tags[key] = value
        return True

    def delete_version_tag(self) -> bool:
        if not (picked := self._a_version()):
            return False
        model, number = picked
        if not (keys := sorted(model.versions[number].tags)):
            return False
        key = self.random.choice(keys)
        self.client.delete_model_version_tag(model.name, str(number), key)
        del model.versions[number].tags[key]
        return True

    def set_alias(self) -> bool:
        if not (picked := self._a_version()):
            return False
        model, number = picked
        alias = f"a{self.index}n{self.random.randrange(4)}"
        self.client.set_registered_model_alias(model.name, alias, str(number))
        model.aliases[alias] = number
        model.deleted_aliases.discard(alias)
        return True

    def delete_alias(self) -> bool:
        model = self.random.choice(self.models())
        if not model.aliases:
            return False
        alias = self.random.choice(sorted(model.aliases))
        self.client.delete_registered_model_alias(model.name, alias)
        del model.aliases[alias]
        model.deleted_aliases.add(alias)
        return True

    def update_model_description(self) -> bool:
        if not self.own:
            return False
        model = self.random.choice(self.own)
        description = self.fresh("d")
        self.client.update_registered_model(model.name, description)
        model.description = description
        return True

    def update_version_description(self) -> bool:
        if not (picked := self._a_version()):
            return False
        model, number = picked
        description = self.fresh("d")
        self.client.update_model_version(model.name, str(number), description)
        model.versions[number].description = description
        return True

    def rename(self) -> bool:
        if not self.own:
            return False
        model = self.random.choice(self.own)
        new_name = f"{self.prefix}{self.fresh('r')}"
        self.client.rename_registered_model(model.name, new_name)
        model.name = new_name
        return True

    def delete_version(self) -> bool:
        if not (picked := self._a_version()):
            return False
        model, number = picked
        self.client.delete_model_version(model.name, str(number))
        del model.versions[number]
        for alias in [a for a, n in model.aliases.items() if n == number]:
            del model.aliases[alias]  # deleting a version drops its aliases, as in MLflow
            model.deleted_aliases.add(alias)
        return True

    def search_own_models(self) -> bool:
        found = search_models(self.client, f"name LIKE '{self.prefix}%'")
        assert sorted(found) == sorted(m.name for m in self.own)
        for model in self.own:
            check_model(found[model.name], model)
        return True

    def search_versions(self) -> bool:
        model = self.random.choice(self.models())
        found = {int(mv.version): mv for mv in search_versions(self.client, model.name)}
        for number, version in model.versions.items():
            check_version(found[number], model, number, version)
        if model.owned:
            assert sorted(found) == sorted(model.versions)
        return True

    def get_model(self) -> bool:
        model = self.random.choice(self.models())
        check_model(self.client.get_registered_model(model.name), model)
        return True

    def get_version(self) -> bool:
        if not (picked := self._a_version()):
            return False
        model, number = picked
        if model.aliases and self.random.random() < 0.5:
            alias = self.random.choice(sorted(model.aliases))
            mv = self.client.get_model_version_by_alias(model.name, alias)
            number = model.aliases[alias]
        else:
            mv = self.client.get_model_version(model.name, str(number))
        check_version(mv, model, number, model.versions[number])
        return True


WEIGHTS: dict[Callable[[Worker], bool], int] = {
    Worker.create_model: 8,
    Worker.create_version: 18,
    Worker.set_model_tag: 9,
    Worker.delete_model_tag: 5,
    Worker.set_version_tag: 7,
    Worker.delete_version_tag: 3,
    Worker.set_alias: 8,
    Worker.delete_alias: 4,
    Worker.update_model_description: 4,
    Worker.update_version_description: 3,
    Worker.rename: 3,
    Worker.delete_version: 5,
    Worker.search_own_models: 5,
    Worker.search_versions: 4,
    Worker.get_model: 8,
    Worker.get_version: 7,
}


def search_models(client: MlflowClient, filter_string: str) -> dict[str, RegisteredModel]:
    found: dict[str, RegisteredModel] = {}
    token = None
    while True:
        page = client.search_registered_models(filter_string, max_results=1000, page_token=token)
        for model in page:
            assert model.name not in found, f"{model.name} twice in one search"
            found[model.name] = model
        if not (token := page.token):
            return found


def search_versions(client: MlflowClient, name: str) -> list[ModelVersion]:
    found: list[ModelVersion] = []
    token = None
    while True:
        page = client.search_model_versions(
            f"name = '{name}'", max_results=10_000, page_token=token
        )
        found.extend(page)
        if not (token := page.token):
            return found


def search_all_versions(
    client: MlflowClient, filter_string: str
) -> dict[tuple[str, int], ModelVersion]:
    found: dict[tuple[str, int], ModelVersion] = {}
    token = None
    while True:
        page = client.search_model_versions(filter_string, max_results=10_000, page_token=token)
        for mv in page:
            key = (mv.name, int(mv.version))
            assert key not in found, f"{key} twice in one search"
            found[key] = mv
        if not (token := page.token):
            return found


def check_model(got: RegisteredModel, model: Model) -> None:
    """``got`` holds everything the thread knows about ``model`` (exactly so if it owns it)."""
    assert got.name == model.name
    mine = {k: v for k, v in got.tags.items() if k in model.tags or k in model.deleted_tags}
    assert mine == model.tags, (model.name, got.tags, model.tags)
    aliases = {a: int(v) for a, v in got.aliases.items()}
    mine_aliases = {
        a: n for a, n in aliases.items() if a in model.aliases or a in model.deleted_aliases
    }
    assert mine_aliases == model.aliases, (model.name, aliases, model.aliases)
    if model.owned:
        assert got.tags == model.tags
        assert aliases == model.aliases
        assert (got.description or "") == model.description


def check_version(got: ModelVersion, model: Model, number: int, version: Version) -> None:
    assert (got.name, int(got.version)) == (model.name, number)
    assert got.tags == version.tags, (model.name, number, got.tags, version.tags)
    assert (got.description or "") == version.description
    expected_aliases = sorted(a for a, n in model.aliases.items() if n == number)
    mine = sorted(a for a in got.aliases if a in model.aliases or a in model.deleted_aliases)
    assert mine == expected_aliases, (model.name, number, got.aliases, model.aliases)


def run_worker(worker: Worker, start: threading.Barrier, errors: list[BaseException]) -> None:
    operations = list(WEIGHTS)
    weights = list(WEIGHTS.values())
    start.wait()
    for _ in range(OPERATIONS_PER_THREAD):
        operation = worker.random.choices(operations, weights)[0]
        try:
            operation(worker)
        except BaseException as error:
            error.add_note(f"thread {worker.index}, operation {operation.__name__}")
            errors.append(error)
            return False
        worker.operations[operation.__name__] = worker.operations.get(operation.__name__, 0) + 1


def verify_final_state(client: MlflowClient, workers: list[Worker], namespace: str) -> None:
    """Numbering, no lost tags or aliases, and searches that agree with gets, read afterwards
    (the gets from several threads, one per model and per live version)."""
    for i, shared in enumerate(workers[0].shared):
        created = sorted(n for worker in workers for n in worker.shared[i].created)
        assert created == list(range(1, len(created) + 1)), shared.name
    for model in (m for w in workers for m in w.own):
        assert model.created == list(range(1, len(model.created) + 1)), model.name

    models = search_models(client, f"name LIKE '{namespace}-%'")
    versions = search_all_versions(client, f"name LIKE '{namespace}-%'")
    names = sorted({m.name for w in workers for m in w.models()})
    alive = sorted({(m.name, n) for w in workers for m in w.models() for n in m.versions})
    assert sorted(models) == names
    assert sorted(versions) == alive
    with ThreadPoolExecutor(THREADS) as pool:
        got_models = dict(zip(names, pool.map(client.get_registered_model, names), strict=True))
        got_versions = dict(
            zip(
                alive,
                pool.map(lambda k: client.get_model_version(k[0], str(k[1])), alive),
                strict=True,
            )
        )
    for name in names:
        assert models[name].to_proto() == got_models[name].to_proto(), name
    for key in alive:
        assert versions[key].to_proto() == got_versions[key].to_proto(), key
    for worker in workers:
        for model in worker.models():
            check_model(got_models[model.name], model)
            for number, version in model.versions.items():
                check_version(got_versions[(model.name, number)], model, number, version)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedReference]:
    workdir: Path = tmp_path_factory.mktemp("soak")
    with served_reference_backend(workdir, f"soak-{uuid.uuid4().hex[:8]}") as served:
        yield served


def test_eight_threads_of_mixed_operations_keep_the_registry_consistent(
    served: ServedReference, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    namespace = f"soak{uuid.uuid4().hex[:6]}"
    setup = MlflowClient(served.url, served.url)
    shared_names = [f"{namespace}-shared{i}" for i in range(SHARED_MODELS)]
    for name in shared_names:
        setup.create_registered_model(name)
    workers = [
        Worker(
            index=i,
            client=MlflowClient(served.url, served.url),
            namespace=namespace,
            shared=[Model(name, owned=False) for name in shared_names],
            random=random.Random(SEED + i),
        )
        for i in range(THREADS)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS + 1)
    threads = [
        threading.Thread(target=run_worker, args=(worker, start, errors), daemon=True)
        for worker in workers
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.monotonic() - began
    if errors:
        raise errors[0]
    assert not any(thread.is_alive() for thread in threads)
    done = sum(sum(worker.operations.values()) for worker in workers)
    print(f"\nsoak: {done} operations by {THREADS} threads in {elapsed:.1f} s")

    began = time.monotonic()
    verify_final_state(setup, workers, namespace)
    print(f"soak: final state verified in {time.monotonic() - began:.1f} s")
    for name in sorted(WEIGHTS, key=lambda op: op.__name__):
        print(f"  {name.__name__}: {sum(w.operations.get(name.__name__, 0) for w in workers)}")
    assert served.process.poll() is None
    assert "Traceback" not in served.log(), served.log()[-5000:]
