"""Seed row 4's helpers (``test_register_from_foreign_run``): which storage the foreign run's
artifacts live in, and how a consumer's step after an accepted registration is judged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from mlflow.utils.uri import is_local_uri

from conformance import http_exchanges
from conformance.probe import Inconclusive, NonConformant, Probe, answer_status, no_verdict
from conformance.refusals import Kind, classify
from conformance.targets import mask_text

#: Where MLflow's artifact proxy serves artifacts, as an ``http(s)`` artifact location spells it.
_PROXY_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"
_EXCHANGES_KEPT = 3


@dataclass(frozen=True)
class ForeignModel:
    run_id: str
    #: Where the foreign server keeps the model's folder (the run's ``model`` artifact folder,
    #: or the logged model's artifact location).
    artifact_location: str
    #: :func:`foreign_storage` of that location: the deployment the scenario measures.
    storage: str
    #: What the model's folder holds (relative path -> bytes), as the producer has it.
    files: dict[str, bytes]


def foreign_storage(artifact_location: str, foreign_tracking_uri: str) -> str:
    """The scheme and kind of the foreign run's artifact storage, for a reader of the report."""
    parts = urlsplit(artifact_location)
    if parts.scheme == "mlflow-artifacts" or _PROXY_ROUTE in parts.path:
        return f"{parts.scheme}: proxied by the foreign tracking server"
    if is_local_uri(artifact_location):
        if urlsplit(foreign_tracking_uri).scheme == "memory":
            return "file: folder of the in-process memory:// foreign instance"
        return "file: local path"
    return f"{parts.scheme}: storage addressed directly by URI (not proxied)"


def measured_with(model: ForeignModel) -> str:
    """The deployment, as every reason of a row-4 scenario names it."""
    return f"foreign artifacts: {model.storage}"


@contextmanager
def consuming(probe: Probe, call: str, model: ForeignModel) -> Iterator[None]:
    """A consumer's step after the target accepted the foreign version.

    The registry took the version, so any answer but the model is a wrong answer, whatever its
    error code: a refusal here is not "not offered" but "accepted and cannot be consumed". Only
    answers that allow no verdict (transport, auth) leave the scenario inconclusive.
    """
    try:
        with http_exchanges.recording() as exchanges:
            yield
    except AssertionError:
        raise
    except Exception as exc:
        answer = classify(exc, answer_status(exchanges))
        entry = {
            "call": call,
            "role": "consumer",
            "classified_as": answer.kind.value,
            "exception": mask_text(f"{type(exc).__name__}: {exc}")[:2000],
        }
        if exchanges:
            entry["http"] = exchanges[-_EXCHANGES_KEPT:]
        probe.evidence.append(entry)
        if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
            raise Inconclusive(no_verdict(call, answer)) from None
        fault = NonConformant(
            f"{call}: the target accepted the foreign version but the consumer cannot get it "
            f"({measured_with(model)}): {answer.reason}"
        )
        probe.fault = probe.fault or fault
        raise fault from exc
