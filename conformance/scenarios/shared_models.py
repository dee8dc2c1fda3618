"""Registered models that the scenarios of a module only read (the ``shared_models`` fixture),
made once by the first scenario that needs them instead of once by each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SharedModels:
    """Registered models that several scenarios of a module only read (the ``shared_models``
    fixture): made by the first scenario that needs a set, under its own probe; a set whose
    making failed is made afresh by the next scenario that needs it, so each one meets the
    registry's answer itself."""

    mint: Callable[[str], str]
    _made: dict[str, dict[str, str]] = field(default_factory=dict)
    _details: dict[str, Any] = field(default_factory=dict)

    def get(
        self, key: str, hints: Iterable[str], make: Callable[[dict[str, str]], Any]
    ) -> dict[str, str]:
        """The set ``key``: hint -> name, minted for ``hints`` and created by ``make``."""
        if key not in self._made:
            minted = {hint: self.mint(hint) for hint in hints}
            self._details[key] = make(minted)
            self._made[key] = minted
        return self._made[key]

    def has(self, key: str) -> bool:
        return key in self._made

    def details(self, key: str) -> Any:
        """What ``make`` returned when it made the set ``key``."""
        return self._details[key]
