"""The scenarios' tiny model saves, logs, loads and predicts in a fresh process without MLflow's
advice on type hints (it has real ones) on any path that checks them: class, save, log, load."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys, tempfile, pathlib
import mlflow.pyfunc
import pandas as pd
from conformance.scenarios import tiny_model

work = pathlib.Path(tempfile.mkdtemp())
model = mlflow.pyfunc.load_model(str(tiny_model.save(work / "model", 2.0, 1.0)))
mlflow.set_tracking_uri(f"sqlite:///{work}/mlflow.db")
with mlflow.start_run():
    logged = mlflow.pyfunc.load_model(tiny_model.log("model", 3.0).model_uri)
print(json.dumps([
    model.predict(tiny_model.SAMPLE_INPUT),
    model.predict(pd.DataFrame({"x": tiny_model.SAMPLE_INPUT})),
    logged.predict(tiny_model.SAMPLE_INPUT),
    model.metadata.get_input_schema().to_dict(),
]))
"""


def test_the_tiny_model_has_type_hints_mlflow_accepts():
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "type hint" not in done.stderr.lower(), done.stderr
    from_list, from_frame, from_logged, schema = json.loads(done.stdout.splitlines()[-1])
    assert from_list == from_frame == [3.0, 5.0]
    assert from_logged == [3.0, 6.0]
    assert schema == [{"type": "double", "required": True}]
