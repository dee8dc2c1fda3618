"""Targets: which registries a run measures, how to reach them and name them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from conformance.masking import mask_uri

EMBEDDED_REGISTRY_URI = "memory://conformance-embedded"
EMBEDDED_FOREIGN_TRACKING_URI = "memory://conformance-embedded-foreign"
#: The default target, in the order it is looked for, when no --registry-uri is given.
DEFAULT_TARGET = (
    "MLFLOW_REGISTRY_URI, then MLFLOW_TRACKING_URI (the variables MLflow's client reads), "
    "else the embedded reference backend"
)


class TargetError(ValueError):
    """A target URI that cannot be used, with a message fit for the command line."""


@dataclass
class Target:
    """One registry under test: one column of the report."""

    id: str
    registry_uri: str
    tracking_uri: str
    foreign_tracking_uri: str | None
    embedded: bool = False
    server: dict[str, Any] = field(default_factory=dict)
    #: Why the suite cannot measure this target at all (decided once, by the preflight): its
    #: scenarios do not run and its column is inconclusive with this line as the note.
    unusable: str | None = None
    #: The column's name chosen by the user (``--target-label``); else derived from the URI.
    given_label: str | None = None

    def __repr__(self) -> str:  # pytest prints parameters; never with credentials
        return f"Target({self.id!r}, {mask_uri(self.registry_uri)!r})"

    @property
    def label(self) -> str:
        if self.given_label:
            return self.given_label
        return "reference backend (embedded)" if self.embedded else mask_uri(self.registry_uri)

    @property
    def is_http(self) -> bool:
        return urlsplit(self.registry_uri).scheme in ("http", "https")

    def describe(self) -> dict[str, Any]:
        """The target as the results document shows it, credentials masked."""
        return {
            "id": self.id,
            "label": self.label,
            "registry_uri": mask_uri(self.registry_uri),
            "tracking_uri": mask_uri(self.tracking_uri),
            "foreign_tracking_uri": (
                mask_uri(self.foreign_tracking_uri) if self.foreign_tracking_uri else None
            ),
            "client": {"mlflow": version("mlflow")},
            "server": self.server,
            **({"unusable": self.unusable} if self.unusable else {}),
        }


def target_id(uri: str, taken: set[str]) -> str:
    """A short, stable, filename-safe id derived from the masked URI."""
    parts = urlsplit(mask_uri(uri))
    return unique_slug(
        f"{parts.scheme or 'path'}-{parts.hostname or ''}-{parts.port or ''}-{parts.path}", taken
    )


def unique_slug(text: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "target"
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def resolve_targets(
    registry_uris: list[str],
    tracking_uris: list[str],
    foreign_tracking_uri: str | None,
    labels: list[str] | None = None,
) -> list[Target]:
    """Turn the command-line options (and MLflow's environment) into targets."""
    targets = _targets(registry_uris, tracking_uris, foreign_tracking_uri)
    labels = labels or []
    if len(labels) not in (0, len(targets)):
        raise TargetError(
            f"got {len(labels)} --target-label values for {len(targets)} targets: "
            "give one per target, in the order of --registry-uri"
        )
    taken: set[str] = set()
    for target, label in zip(targets, labels, strict=False):
        if not label.strip():
            raise TargetError("--target-label is empty")
        # The id follows the label, so runs of one column in different CI jobs match up in
        # `compare` and `report` whatever port or path the registry had that day.
        target.given_label = label
        target.id = unique_slug(label, taken)
    return targets


def _targets(
    registry_uris: list[str],
    tracking_uris: list[str],
    foreign_tracking_uri: str | None,
) -> list[Target]:
    env_registry = os.environ.get("MLFLOW_REGISTRY_URI") or os.environ.get("MLFLOW_TRACKING_URI")
    if not registry_uris:
        if env_registry:
            registry_uris = [env_registry]
            if not tracking_uris and os.environ.get("MLFLOW_TRACKING_URI"):
                tracking_uris = [os.environ["MLFLOW_TRACKING_URI"]]
        else:
            return [
                Target(
                    id="reference-embedded",
                    registry_uri=EMBEDDED_REGISTRY_URI,
                    tracking_uri=tracking_uris[0] if tracking_uris else EMBEDDED_REGISTRY_URI,
                    foreign_tracking_uri=foreign_tracking_uri or EMBEDDED_FOREIGN_TRACKING_URI,
                    embedded=True,
                )
            ]
    if len(tracking_uris) not in (0, 1, len(registry_uris)):
        raise TargetError(
            f"got {len(tracking_uris)} --tracking-uri values for {len(registry_uris)} "
            "--registry-uri values: give one for all targets, or one per target in the same order"
        )
    taken: set[str] = set()
    targets = []
    for index, registry_uri in enumerate(registry_uris):
        if not registry_uri.strip():
            raise TargetError("--registry-uri is empty")
        if len(tracking_uris) == len(registry_uris):
            tracking_uri = tracking_uris[index]
        else:
            tracking_uri = tracking_uris[0] if tracking_uris else registry_uri
        # A reference instance has a second, independent one at hand in the same process.
        in_memory = urlsplit(tracking_uri).scheme == "memory"
        targets.append(
            Target(
                id=target_id(registry_uri, taken),
                registry_uri=registry_uri,
                tracking_uri=tracking_uri,
                foreign_tracking_uri=foreign_tracking_uri
                or (EMBEDDED_FOREIGN_TRACKING_URI if in_memory else None),
                embedded=registry_uri == EMBEDDED_REGISTRY_URI,
            )
        )
    return targets
