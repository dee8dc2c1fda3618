"""Reading the ISO 8601 timestamps of results documents, whichever tool wrote them."""

from __future__ import annotations

from datetime import datetime, timezone


def parse(stamp: str) -> datetime:
    """An aware datetime; raises ``ValueError`` on anything but ISO 8601.

    Python 3.10's ``fromisoformat`` does not take the "Z" suffix other tools write, and a stamp
    without an offset is read as UTC so that any two stamps compare.
    """
    instant = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)
