"""The registry's own speed, measured as a side effect of a run: every HTTP request of the process
is timed in :mod:`conformance.run.http_exchanges`' send wrapper and handed to :func:`record`.

Samples are kept per server address and operation (method and REST path with entity values taken
out, e.g. ``GET /api/2.0/mlflow/registered-models/get``). Recording costs one float appended to a
list; the operation of a URL is worked out once and cached. Each process keeps its own samples:
an xdist worker hands :func:`snapshot` to the controller, which adds it with :func:`absorb`, and
:func:`attach` writes each target's summary into the results document. A target is matched to
requests by the address (scheme, host, port) of its registry and tracking URIs; targets that
share an address share its requests. In-process targets make no request: not measured.

The faults met on the way are counted alongside, by kind (:data:`FAULT_KINDS`, recorded with
:func:`record_fault`): answers with a 5xx status, connections refused, reset or broken off,
calls that got no answer in time, and answers said to be JSON whose body is not. They say how
far the run's ``error`` outcomes come from the path to the registry (``targets[i].faults``).
"""

from __future__ import annotations

import functools
import math
import re
import statistics
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

#: A process's samples in transferable form: ``[origin, path, method, [seconds, ...], faults]``
#: rows, ``faults`` a ``{kind: count}`` dict (rows of four, without it, are accepted too).
Snapshot = list[list[Any]]
#: What :func:`record_fault` counts, in the order reports show them.
FAULT_KINDS = ("server_errors", "connection_errors", "timeouts", "malformed_bodies")

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Path segments that name an entity rather than an endpoint: numbers, and ids such as MLflow's
# logged-model ids (m-<hex>), run ids and UUIDs: 8 characters or more, a digit among them.
# Endpoint words carry no digit; the API version ("2.0") is short.
_ENTITY_SEGMENT = re.compile(r"\d+|(?=.*\d).{8,}")
# The proxied-artifact endpoints take a whole artifact path after their action.
_ARTIFACT_PATH = re.compile(r"(/mlflow-artifacts/(?:artifacts|mpu/[a-z]+))/.*")


class HasUris(Protocol):
    registry_uri: str
    tracking_uri: str


@dataclass
class _Route:
    """One server address and path template; its samples by HTTP method."""

    origin: str
    path: str
    seconds_by_method: dict[str, list[float]] = field(default_factory=dict)
    faults_by_method: dict[str, dict[str, int]] = field(default_factory=dict)


_routes: dict[tuple[str, str], _Route] = {}
_lock = threading.Lock()  # taken only when a route or a method is seen for the first time


def record(method: str, url: str, seconds: float) -> None:
    """Count one request (thread-safe; the hot path: a cached lookup and an append)."""
    route = _route_of(url.partition("?")[0])
    samples = route.seconds_by_method.get(method)
    if samples is None:
        with _lock:
            samples = route.seconds_by_method.setdefault(method, [])
    samples.append(seconds)


def record_fault(method: str, url: str, kind: str) -> None:
    """Count one fault of ``kind`` (one of :data:`FAULT_KINDS`) met by a request (thread-safe)."""
    route = _route_of(url.partition("?")[0])
    with _lock:
        faults = route.faults_by_method.setdefault(method, {})
        faults[kind] = faults.get(kind, 0) + 1


@functools.lru_cache(maxsize=1024)
def _route_of(url: str) -> _Route:
    origin, path = operation_path(url)
    with _lock:
        return _routes.setdefault((origin, path), _Route(origin, path))


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, the port made explicit, lower case."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def operation_path(url: str) -> tuple[str, str]:
    """A request URL's server address and its path with entity values replaced (no query)."""
    path = urlsplit(url).path or "/"
    path = _ARTIFACT_PATH.sub(r"\1/{path}", path)
    segments = ["{id}" if _ENTITY_SEGMENT.fullmatch(s) else s for s in path.split("/")]
    return origin(url), "/".join(segments)


def snapshot() -> Snapshot:
    """This process's samples, in a form execnet and JSON carry (xdist ``workeroutput``)."""
    with _lock:  # a fault is recorded with the request's time: its method has samples
        return [
            [route.origin, route.path, method, list(samples), dict(faults_of(route, method))]
            for route in list(_routes.values())
            for method, samples in list(route.seconds_by_method.items())
        ]


def faults_of(route: _Route, method: str) -> dict[str, int]:
    return route.faults_by_method.get(method, {})


def absorb(rows: Snapshot) -> None:
    """Add another process's :func:`snapshot` to this one's samples (the xdist controller)."""
    for route_origin, path, method, samples, *rest in rows:
        with _lock:
            route = _routes.setdefault((route_origin, path), _Route(route_origin, path))
            route.seconds_by_method.setdefault(method, []).extend(samples)
            for kind, count in (rest[0] if rest else {}).items():
                faults = route.faults_by_method.setdefault(method, {})
                faults[kind] = faults.get(kind, 0) + count


def reset() -> None:
    """Forget every sample (a new run in the same process)."""
    with _lock:
        _routes.clear()
        _route_of.cache_clear()


def performance(target: HasUris, rows: Snapshot | None = None) -> dict[str, Any]:
    """What the results document says of a target's speed (``targets[i].performance``): the
    number of requests made to it, and per operation (slowest total first) count, total, p50,
    p95 and max in milliseconds; for a target reached without HTTP, why it was not measured."""
    origins = _http_origins(target)
    if not origins:
        return {"not_measured": "in-process target: the run made no HTTP request to time"}
    seconds: dict[str, list[float]] = {}
    for route_origin, path, method, samples, *_ in snapshot() if rows is None else rows:
        if route_origin in origins and samples:
            seconds.setdefault(f"{method} {path}", []).extend(samples)
    operations = [_summary(operation, samples) for operation, samples in seconds.items()]
    operations.sort(key=lambda op: (-op["total_ms"], op["operation"]))
    return {"requests": sum(op["count"] for op in operations), "operations": operations}


def faults(target: HasUris, rows: Snapshot | None = None) -> dict[str, Any] | None:
    """What the results document says of the faults met on the way to a target
    (``targets[i].faults``): each of :data:`FAULT_KINDS` with its count (zeros included), and
    ``operations``: per operation that met any, its counts; None for an in-process target."""
    origins = _http_origins(target)
    if not origins:
        return None
    totals = dict.fromkeys(FAULT_KINDS, 0)
    by_operation: dict[str, dict[str, int]] = {}
    for route_origin, path, method, _, *rest in snapshot() if rows is None else rows:
        if route_origin not in origins or not rest or not rest[0]:
            continue
        operation = by_operation.setdefault(f"{method} {path}", {})
        for kind, count in rest[0].items():
            totals[kind] = totals.get(kind, 0) + count
            operation[kind] = operation.get(kind, 0) + count
    operations = [
        {"operation": operation, **counts} for operation, counts in sorted(by_operation.items())
    ]
    return {**totals, "operations": operations}


def attach(document: dict[str, Any], targets: Sequence[HasUris]) -> None:
    """Write each target's :func:`performance` and :func:`faults` into the document's targets
    (same order); an in-process target gets no ``faults``."""
    rows = snapshot()
    for described, target in zip(document["targets"], targets, strict=True):
        described["performance"] = performance(target, rows)
        seen = faults(target, rows)
        if seen is not None:
            described["faults"] = seen


def _http_origins(target: HasUris) -> set[str]:
    return {
        origin(uri)
        for uri in (target.registry_uri, target.tracking_uri)
        if urlsplit(uri).scheme.lower() in _DEFAULT_PORTS
    }


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was observed, never one interpolated between two."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _summary(operation: str, seconds: Iterable[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "operation": operation,
        "count": len(ms),
        "total_ms": round(math.fsum(ms), 2),
        "p50_ms": round(statistics.median_low(ms), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "max_ms": round(ms[-1], 2),
    }
