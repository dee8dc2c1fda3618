"""Reports of a results document: one view model (``model``) rendered as HTML, Markdown and the
terminal's matrix, with the documented columns beside the measured ones. Reads documents only;
never runs anything."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from conformance.documented import DocumentedColumn
    from conformance.results.levels import Selection


def writer(render: Callable[..., str]) -> Callable[..., None]:
    """The ``write`` of a file report (HTML, Markdown): what ``render`` makes of the same
    arguments, as UTF-8, in a folder created if missing, so both reports land alike."""

    def write(
        document: dict[str, Any],
        path: Path,
        documented: Sequence[DocumentedColumn] = (),
        selection: Selection | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(document, documented, selection), encoding="utf-8")

    return write
