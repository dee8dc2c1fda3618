"""A run's namespace: the prefix of every name the run creates, which its cleanup and the
``sweep`` command go by. One definition, so that what a run mints, what ``run --namespace``
accepts and what ``sweep --namespace`` matches cannot drift apart."""

from __future__ import annotations

import re
import secrets
import time

#: 1-41 letters, digits, ``-`` or ``_``: no ``%`` and no quote (it goes into LIKE filters as is).
NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}")
#: A namespace that is the start of a workspace name as MLflow allows it (lowercase letters,
#: digits, ``-``): only such a namespace mints workspaces, so none is ever normalised into another.
_WORKSPACE_NAMESPACE = re.compile(r"[a-z0-9][a-z0-9-]*")
#: What follows ``<namespace>-`` in a workspace name of the run: ``<worker>-<n>-<hint>``, exactly
#: three parts without ``-``, after the ``c<i>-`` of a client's run (:func:`of_client`). That
#: count keeps namespace ``ci`` from matching ``ci-x``'s names.
_WORKSPACE_TAIL = r"(?:c[0-9]+-)?[a-z0-9]+-[0-9]+-[a-z0-9]+"


#: What follows ``<namespace>-`` in a name of the run's other entities: the ``c<i>-`` of a
#: client's run, the process (``main``, or xdist's ``gw<n>``), then ``-<counter>-<hint>`` for a
#: model or a webhook, whose hint a long namespace may cut to nothing (none for the process's
#: experiment, ``<namespace>-<process>``).
_NAME_TAIL = r"(?:c[0-9]+-)?(?:main|gw[0-9]+)(?:-[0-9]+(?:-.+)?)?"


def new_namespace() -> str:
    """A per-run prefix: readable, sortable, and unique across concurrent runs."""
    return f"rc{time.strftime('%y%m%d%H%M%S')}{secrets.token_hex(3)}"


def is_namespace(text: str) -> bool:
    return NAMESPACE.fullmatch(text) is not None


def of_client(namespace: str, index: int) -> str:
    """The namespace of the run through the ``index``-th client of ``run --client`` (from 1):
    its own, and still the given one's for ``sweep``."""
    return f"{namespace}-c{index}"


def mints_workspaces(namespace: str) -> bool:
    """Whether a run of ``namespace`` can name workspaces after it as they are (the default
    namespaces can); a run of any other namespace creates none."""
    return _WORKSPACE_NAMESPACE.fullmatch(namespace) is not None


def is_workspace_of(namespace: str, name: str) -> bool:
    """Whether ``name`` is a workspace name a run of ``namespace`` (or of its clients' runs)
    mints, and no other namespace's."""
    return mints_workspaces(namespace) and (
        re.fullmatch(f"{re.escape(namespace)}-{_WORKSPACE_TAIL}", name) is not None
    )


def is_name_of(namespace: str, name: str) -> bool:
    """Whether ``name`` (a registered model's, an experiment's or a webhook's) is one a run of
    ``namespace`` (or of its clients' runs) mints: not merely one that starts with
    ``<namespace>-``, which the names of namespace ``ci-x`` do for namespace ``ci``."""
    return re.fullmatch(f"{re.escape(namespace)}-{_NAME_TAIL}", name, flags=re.DOTALL) is not None
