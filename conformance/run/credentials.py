"""The credentials MLflow's client sends, named (never shown) where an answer denies a right."""

from __future__ import annotations

from mlflow.environment_variables import (
    MLFLOW_TRACKING_AUTH,
    MLFLOW_TRACKING_AWS_SIGV4,
    MLFLOW_TRACKING_CLIENT_CERT_PATH,
    MLFLOW_TRACKING_PASSWORD,
    MLFLOW_TRACKING_TOKEN,
    MLFLOW_TRACKING_USERNAME,
)

#: What ``mlflow.utils.credentials.get_default_host_creds`` builds a request's credentials from
#: (username and password also from ``~/.mlflow/credentials``).
VARIABLES = (
    MLFLOW_TRACKING_USERNAME,
    MLFLOW_TRACKING_PASSWORD,
    MLFLOW_TRACKING_TOKEN,
    MLFLOW_TRACKING_AUTH,
    MLFLOW_TRACKING_AWS_SIGV4,
    MLFLOW_TRACKING_CLIENT_CERT_PATH,
)


def hint() -> str:
    """Which credentials the suite sends (names of the variables set, never their values)."""
    given = [variable.name for variable in VARIABLES if variable.defined]
    return (
        "a missing right says nothing about the feature; the suite authenticates as MLflow's "
        f"client does, from {MLFLOW_TRACKING_USERNAME.name}/{MLFLOW_TRACKING_PASSWORD.name} "
        f"(or ~/.mlflow/credentials), {MLFLOW_TRACKING_TOKEN.name}, {MLFLOW_TRACKING_AUTH.name}, "
        f"{MLFLOW_TRACKING_AWS_SIGV4.name} or {MLFLOW_TRACKING_CLIENT_CERT_PATH.name} "
        + (f"(set here: {', '.join(given)})" if given else "(none is set here)")
    )
