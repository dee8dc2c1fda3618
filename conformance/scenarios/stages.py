"""MLflow's stage API as scenarios call it: with its deprecation warning silenced (and no
other), and the version a ``models:/<name>/latest`` or ``/<stage>`` URI resolves to.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

#: The start of MLflow 3's FutureWarning on each call of its stage API: registries still offer
#: stages and seed row 12 measures them, so exactly this warning is silenced, and MLflow
#: deprecating anything else the scenarios use shows in the run's warnings.
STAGE_API_DEPRECATION = (
    r"``mlflow\.tracking\.client\.MlflowClient\.\w+`` is deprecated since [\d.]+\. "
    r"Model registry stages will be removed"
)


def resolved_version(client: Any, name: str, stage: str | None = None) -> str:
    """The version ``models:/<name>/latest`` (``/<stage>`` when given) resolves to, asked as
    MLflow's client asks: the highest of the versions ``get_latest_versions`` answers.

    A scenario asks it under test before loading such a URI: a registry that does not offer
    ``get_latest_versions`` (Unity Catalog) refuses it cleanly there, where it means "this way of
    naming a version is not offered", not inside a load of what the registry accepted.
    """
    stages = None if stage is None else [stage]
    with stage_api():
        latest = client.get_latest_versions(name, stages)
    assert latest, f"get_latest_versions({name!r}, stages={stages}) answered no version"
    return str(max(int(version.version) for version in latest))


@contextlib.contextmanager
def stage_api() -> Iterator[None]:
    """Around calls of MLflow's stage API: its deprecation is not shown, every other warning is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", STAGE_API_DEPRECATION, FutureWarning)
        yield
