"""``registry-conformance``: run the shipped scenarios from any folder.

Every argument is handed to pytest, so the command takes the plugin's options
(``--registry-uri``, ``--results-json``, ``--list-features``...) and pytest's own
(``-m``, ``-n``, ``-k``).
"""

from __future__ import annotations

import sys

import pytest

SCENARIO_PACKAGE = "conformance.scenarios"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # The cache provider would write .pytest_cache into whatever folder the user stands in.
    return int(pytest.main(["-p", "no:cacheprovider", "--pyargs", SCENARIO_PACKAGE, *args]))


if __name__ == "__main__":
    sys.exit(main())
