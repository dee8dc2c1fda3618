"""The MLflow client settings of a suite run, set where MLflow's client reads them: the process's
environment. A value the user set wins, unless an option of the suite says otherwise.

Light: imported before MLflow is, because MLflow reads one of them when it is imported.
"""

from __future__ import annotations

import os

import pytest

#: MLflow's client waits this long for each answer (its own default: 120 s).
CALL_TIMEOUT = "MLFLOW_HTTP_REQUEST_TIMEOUT"
DEFAULT_CALL_TIMEOUT_S = 30
#: MLflow's client retries 5xx for minutes by default; one broken endpoint must cost seconds.
_RETRIES = ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


def disable_telemetry() -> None:
    """No MLflow telemetry in a suite run: its thread removes ``_MLFLOW_TELEMETRY_SESSION_ID``
    from the environment while requests read it (a spurious KeyError in a scenario). MLflow
    decides when it is imported, so this comes first, and stays for the process."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def apply(call_timeout_s: int | None = None) -> pytest.MonkeyPatch:
    """Set the client's retries and call timeout (``call_timeout_s`` when the option gave one,
    else the user's ``MLFLOW_HTTP_REQUEST_TIMEOUT``, else the default); ``undo()`` restores."""
    patch = pytest.MonkeyPatch()
    if _RETRIES[0] not in os.environ:
        patch.setenv(*_RETRIES)
    if call_timeout_s is not None or CALL_TIMEOUT not in os.environ:
        patch.setenv(CALL_TIMEOUT, str(call_timeout_s or DEFAULT_CALL_TIMEOUT_S))
    return patch


def call_timeout_s() -> int:
    """The call timeout MLflow's client will use (what :func:`apply` left in the environment)."""
    value = os.environ[CALL_TIMEOUT]
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise pytest.UsageError(
            f"{CALL_TIMEOUT}={value!r}: MLflow's client needs a whole number of seconds, 1 or more"
        )
    return seconds
