"""The seed's 15 rows checked by hand, with MLflow's client only: the yardstick the suite's wall
time is compared with (``bench/suite_over_baseline.py``).

    python bench/baseline_script.py --tracking-uri http://127.0.0.1:5000 \\
        --foreign-tracking-uri http://127.0.0.1:5001

What a person would write to check a registry once: one plain check per row, fewer variants than
the suite, no evidence, no refusal vocabulary. Prints one line per row: ``ok``, ``partial`` (some
ways refused), ``refused`` (MLflow's client raised) or ``FAIL`` (a check did not hold), and
removes what it created.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: list[float], params=None) -> list[float]:
        return [2 * x for x in model_input]


def predicts(model_uri: str) -> None:
    assert mlflow.pyfunc.load_model(model_uri).predict([1.0, 2.0]) == [2.0, 4.0], model_uri


def gone(call) -> bool:
    try:
        call()
    except MlflowException as exc:
        return exc.error_code == "RESOURCE_DOES_NOT_EXIST"
    return False


class Checks:
    def __init__(self, tracking_uri: str, foreign_uri: str | None, folder: Path) -> None:
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self.foreign_uri = foreign_uri
        self.folder = folder
        self.prefix = f"baseline-{uuid.uuid4().hex[:8]}"
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        self.experiment = mlflow.set_experiment(self.prefix).experiment_id
        # One run holding an MLflow-format model folder and a folder of plain files: the
        # sources of every version below.
        saved = folder / "saved"
        mlflow.pyfunc.save_model(str(saved), python_model=Doubler(), pip_requirements=["mlflow"])
        (folder / "plain").mkdir()
        (folder / "plain" / "weights.txt").write_text("not an MLflow model")
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(saved), "model")
            mlflow.log_artifacts(str(folder / "plain"), "plain")
        self.run_id = run.info.run_id
        self.source = f"{run.info.artifact_uri}/model"

    def model(self, hint: str, versions: int = 0, tags: dict[str, str] | None = None) -> str:
        name = f"{self.prefix}-{hint}"
        self.client.create_registered_model(name, tags=tags)
        for _ in range(versions):
            self.client.create_model_version(name, self.source, self.run_id)
        return name

    def row_1_mlflow_format(self) -> None:
        name = self.model("mlflow-format")
        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(
                name="model", python_model=Doubler(), pip_requirements=["mlflow"]
            )
        mlflow.register_model(info.model_uri, name)
        predicts(f"models:/{name}/1")

    def row_2_non_mlflow_format(self) -> None:
        name = self.model("plain")
        plain = self.source.rsplit("/", 1)[0] + "/plain"
        self.client.create_model_version(name, plain, self.run_id)
        downloaded = mlflow.artifacts.download_artifacts(
            f"models:/{name}/1", dst_path=str(self.folder / "download")
        )
        assert (Path(downloaded) / "weights.txt").read_text() == "not an MLflow model"

    def row_3_from_run(self) -> None:
        name = self.model("from-run")
        version = mlflow.register_model(f"runs:/{self.run_id}/model", name)
        assert version.run_id == self.run_id
        predicts(f"models:/{name}/latest")

    def row_4_from_foreign_run(self) -> None:
        assert self.foreign_uri, "no foreign tracking server given"
        name = self.model("foreign")
        foreign = MlflowClient(tracking_uri=self.foreign_uri)
        experiment = foreign.create_experiment(self.prefix)
        run = foreign.create_run(experiment)
        foreign.log_artifacts(run.info.run_id, str(self.folder / "saved"), "model")
        source = f"{run.info.artifact_uri}/model"
        self.client.create_model_version(name, source, run.info.run_id)
        predicts(f"models:/{name}/1")

    def row_5_search_list(self) -> str | None:
        names = []
        for n in range(3):
            names.append(self.model(f"list-{n}"))
            time.sleep(0.01)  # distinct timestamps, so that ordering by them has one answer
        found, token = [], None
        while True:
            page = self.client.search_registered_models(
                f"name LIKE '{self.prefix}-list-%'", max_results=2, page_token=token
            )
            found += [model.name for model in page]
            token = page.token
            if not token:
                break
        assert sorted(found) == names, found
        refused = []
        for key in ("name", "creation_timestamp", "last_updated_timestamp"):
            for order in ("ASC", "DESC"):
                try:
                    listed = self.client.search_registered_models(
                        f"name LIKE '{self.prefix}-list-%'", order_by=[f"{key} {order}"]
                    )
                except MlflowException:
                    refused.append(f"{key} {order}")
                    continue
                expected = names if order == "ASC" else names[::-1]
                assert [model.name for model in listed] == expected, (key, order)
        return f"order_by refused: {', '.join(refused)}" if refused else None

    def row_6_version_details(self) -> None:
        name = self.model("details", versions=2)
        version = self.client.get_model_version(name, "2")
        assert (version.name, str(version.version), version.run_id) == (name, "2", self.run_id)
        assert version.status == "READY", version.status
        assert version.source, "no source"
        assert version.creation_timestamp, "no creation timestamp"
        (latest,) = self.client.get_latest_versions(name)
        assert str(latest.version) == "2"

    def row_7_version_description(self) -> None:
        name = self.model("description", versions=1)
        self.client.update_model_version(name, "1", description="checked by hand")
        assert self.client.get_model_version(name, "1").description == "checked by hand"

    def row_8_version_tags(self) -> None:
        name = self.model("tags", versions=1)
        self.client.set_model_version_tag(name, "1", "k", "v1")
        self.client.set_model_version_tag(name, "1", "k", "v2")
        assert self.client.get_model_version(name, "1").tags == {"k": "v2"}
        self.client.delete_model_version_tag(name, "1", "k")
        assert self.client.get_model_version(name, "1").tags == {}

    def row_9_rename(self) -> None:
        name = self.model("rename", versions=1)
        new_name = f"{name}-renamed"
        self.client.rename_registered_model(name, new_name)
        assert self.client.get_model_version(new_name, "1").name == new_name
        assert gone(lambda: self.client.get_registered_model(name))

    def row_10_model_delete(self) -> None:
        name = self.model("delete", versions=1)
        self.client.delete_registered_model(name)
        assert gone(lambda: self.client.get_registered_model(name))
        assert gone(lambda: self.client.get_model_version(name, "1"))

    def row_11_version_delete(self) -> None:
        name = self.model("version-delete", versions=2)
        self.client.delete_model_version(name, "1")
        assert gone(lambda: self.client.get_model_version(name, "1"))
        assert self.client.get_model_version(name, "2").status == "READY"

    def row_12_stages(self) -> None:
        name = self.model("stages", versions=3)
        self.client.transition_model_version_stage(name, "1", "Production")
        self.client.transition_model_version_stage(name, "2", "Staging")
        self.client.transition_model_version_stage(
            name, "3", "Production", archive_existing_versions=True
        )
        assert self.client.get_model_version(name, "1").current_stage == "Archived"
        (production,) = self.client.get_latest_versions(name, ["Production"])
        assert str(production.version) == "3"
        predicts(f"models:/{name}/Production")

    def row_13_search_by_name(self) -> None:
        name = self.model("by-name")
        self.model("by-name-other")
        found = self.client.search_registered_models(f"name = '{name}'")
        assert [model.name for model in found] == [name]

    def row_14_like_ilike(self) -> None:
        upper = self.model("Like-A")
        self.model("like-b")
        like = self.client.search_registered_models(f"name LIKE '{self.prefix}-Like-_'")
        assert [model.name for model in like] == [upper]
        ilike = self.client.search_registered_models(f"name ILIKE '{self.prefix}-LIKE-%'")
        assert len(ilike) == 2

    def row_15_search_by_tag(self) -> None:
        tagged = self.model("tagged", tags={"team": self.prefix})
        self.model("untagged")
        found = self.client.search_registered_models(f"tags.team = '{self.prefix}'")
        assert [model.name for model in found] == [tagged]

    def clean_up(self) -> None:
        for model in self.client.search_registered_models(f"name LIKE '{self.prefix}-%'"):
            self.client.delete_registered_model(model.name)
        self.client.delete_experiment(self.experiment)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", required=True, help="the registry and its tracking")
    parser.add_argument("--foreign-tracking-uri", help="a second tracking server (row 4)")
    args = parser.parse_args()
    started = time.perf_counter()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="baseline-") as folder:
        checks = Checks(args.tracking_uri, args.foreign_tracking_uri, Path(folder))
        rows = [getattr(checks, name) for name in dir(checks) if name.startswith("row_")]
        for row in sorted(rows, key=lambda check: int(check.__name__.split("_")[1])):
            try:
                refused = row()  # a row with several ways says which were refused
                outcome = f"partial: {refused}" if refused else "ok"
            except MlflowException as exc:
                outcome = f"refused: {exc.error_code}: {str(exc.message)[:100]}"
            except AssertionError as exc:
                outcome, failed = f"FAIL: {exc}"[:120], failed + 1
            print(f"{row.__name__:<28} {outcome}", flush=True)
        checks.clean_up()
    print(f"{time.perf_counter() - started:.1f} s in the script")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
