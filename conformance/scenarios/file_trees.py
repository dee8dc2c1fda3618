"""File trees as scenarios compare them: written, read back, downloaded from an artifact URI,
and how two of them differ; and the files of a folder that is not an MLflow model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow

#: Files in a folder that is not an MLflow model: text, binary (every byte value), a subfolder.
NON_MLFLOW_FILES: dict[str, bytes] = {
    "README.txt": b"weights of a model that is not in MLflow format\n",
    "weights.bin": bytes(range(256)) * 4,
    "config/settings.json": b'{"layers": 3, "activation": "relu"}',
    "config/nested/crlf.dat": b"\x00\xffline\r\nend\r\n",
}


#: The file MLflow's client writes into a downloaded ``models:/`` folder that has an ``MLmodel``.
REGISTERED_MODEL_META_FILE = "registered_model_meta"


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (relative POSIX path -> bytes) under ``root``."""
    for relative, content in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def read_tree(root: Path, *, ignore: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file under ``root`` as relative POSIX path -> bytes, minus the names in ``ignore``."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() not in ignore
    }


def download_tree(artifact_uri: str, destination: Path, **kwargs: Any) -> dict[str, bytes]:
    """Download ``artifact_uri`` into a fresh ``destination`` and read every file back.

    The ``registered_model_meta`` file that MLflow's client adds to a downloaded MLflow model is
    the client's, not the registry's, and is left out.
    """
    destination.mkdir(parents=True)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=artifact_uri, dst_path=str(destination), **kwargs
    )
    return read_tree(Path(local), ignore=(REGISTERED_MODEL_META_FILE,))


def tree_difference(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """A human-readable account of how two file trees differ ("" when they are identical)."""
    problems = []
    if missing := sorted(expected.keys() - actual.keys()):
        problems.append(f"missing {missing}")
    if extra := sorted(actual.keys() - expected.keys()):
        problems.append(f"unexpected {extra}")
    changed = sorted(
        path for path in expected.keys() & actual.keys() if expected[path] != actual[path]
    )
    if changed:
        problems.append(
            "different bytes in "
            + ", ".join(
                f"{path} ({len(expected[path])} bytes sent, {len(actual[path])} back)"
                for path in changed
            )
        )
    return "; ".join(problems)
