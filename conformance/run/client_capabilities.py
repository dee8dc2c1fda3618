"""What the installed MLflow client has, for the scenarios and the run's own calls: MLflow 2.9 to
the newest 3.x lack different parts of the API. One table, checked by attribute, so a client is
judged by what it has; a scenario that needs what the client lacks is not-tested with the reason
:func:`lacks`, through ``scenarios.markers.requires_client``.
"""

from __future__ import annotations

import importlib
from functools import cache

import mlflow

#: capability -> (where the client has it, as ``module:attribute.attribute``; the first MLflow
#: release that has it, for the reason text).
CAPABILITIES: dict[str, tuple[str, str]] = {
    # the "not a prompt" clause the client appends to every registered-model search
    "prompt clause": ("mlflow.prompt.registry_utils:add_prompt_filter_string", "2.21"),
    # MLflow 3's logged models: log_model(name=...), models:/m-<id>, model_id on versions
    "logged models": ("mlflow.entities:LoggedModel", "3.0"),
    "webhooks": ("mlflow.tracking:MlflowClient.create_webhook", "3.3"),
    "workspaces": ("mlflow:set_workspace", "3.10"),
}


@cache
def has(capability: str) -> bool:
    """Whether the installed MLflow client has ``capability`` (a key of :data:`CAPABILITIES`)."""
    module, _, path = CAPABILITIES[capability][0].partition(":")
    try:
        found: object = importlib.import_module(module)
        for name in path.split("."):
            found = getattr(found, name)
    except (ImportError, AttributeError):
        return False
    return True


def lacks(capability: str) -> str:
    """Why a scenario that needs ``capability`` is not tested with this client."""
    first = CAPABILITIES[capability][1]
    return f"client mlflow {mlflow.__version__} has no {capability} (new in MLflow {first})"
