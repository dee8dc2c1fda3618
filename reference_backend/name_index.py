"""Registered-model names kept sorted, so name-ordered searches page without sorting.

Names sort by code point, which is the order of SQLite's BINARY collation on UTF-8. All names
sharing a prefix form one contiguous block, so a filter such as ``name LIKE 'model-1%'`` only
walks that block.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator

_MAX_CHAR = chr(0x10FFFF)


def _prefix_end(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix`` (None: no bound)."""
    stem = prefix.rstrip(_MAX_CHAR)
    if not stem:
        return None
    return stem[:-1] + chr(ord(stem[-1]) + 1)


class NameIndex:
    """A sorted list of unique names; callers hold the store's lock."""

    def __init__(self) -> None:
        self._names: list[str] = []

    def add(self, name: str) -> None:
        insort(self._names, name)

    def remove(self, name: str) -> None:
        del self._names[bisect_left(self._names, name)]

    def walk(self, prefix: str, after: str | None = None, ascending: bool = True) -> Iterator[str]:
        """Names starting with ``prefix`` in order, beginning strictly after ``after``."""
        names = self._names
        if ascending:
            start = bisect_left(names, prefix)
            if after is not None:
                start = max(start, bisect_right(names, after))
            for index in range(start, len(names)):
                if not names[index].startswith(prefix):
                    return
                yield names[index]
        else:
            bound = _prefix_end(prefix)
            end = len(names) if bound is None else bisect_left(names, bound)
            if after is not None:
                end = min(end, bisect_left(names, after))
            for index in range(end - 1, -1, -1):
                if not names[index].startswith(prefix):
                    return
                yield names[index]
