"""A run's namespace: the prefix of every name the run creates, which its cleanup and the
``sweep`` command go by. One definition, so that what a run mints, what ``run --namespace``
accepts and what ``sweep --namespace`` matches cannot drift apart."""

from __future__ import annotations

import re
import secrets
import time

#: 1-41 letters, digits, ``-`` or ``_``: no ``%`` and no quote (it goes into LIKE filters as is).
NAMESPACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}")


def new_namespace() -> str:
    """A per-run prefix: readable, sortable, and unique across concurrent runs."""
    return f"rc{time.strftime('%y%m%d%H%M%S')}{secrets.token_hex(3)}"


def is_namespace(text: str) -> bool:
    return NAMESPACE.fullmatch(text) is not None
