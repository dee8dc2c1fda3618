"""Shipped source names no path of the machine it was written on: a reader elsewhere cannot open
``/work/...`` or ``/home/...``, so a comment or docstring must cite what it means (an upstream
file, an issue, a document of this repository) instead."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    *(ROOT / "conformance").rglob("*.py"),
    *(ROOT / "reference_backend").rglob("*.py"),
    *(ROOT / "reports").glob("*.py"),
    *(ROOT / "bench").rglob("*.py"),
]
#: A local absolute path: the root folder, then a name. Masks such as ``<tmp>/tmp/`` (the
#: placeholder of reports/stabilise.py) and URL paths (``host/home/``) are not local paths.
LOCAL_PATH = re.compile(r"(?<![\w<>.:/-])/(?:work|root|home|tmp)/[\w.-]+")


def test_the_pattern_finds_local_paths_and_spares_masks_and_urls():
    found = [
        text
        for text in (
            "# per /work/shared/reference/x.md",
            '"""Written to /tmp/run-1/results.json."""',
            "see /home/me/notes",
            'r"(<tmp>/tmp/[\\w.-]*?)"',
            "https://example.com/home/page",
            "mysql+pymysql://root@127.0.0.1:3306",
        )
        if LOCAL_PATH.search(text)
    ]
    assert found == [
        "# per /work/shared/reference/x.md",
        '"""Written to /tmp/run-1/results.json."""',
        "see /home/me/notes",
    ]


def test_no_shipped_source_names_a_local_path():
    assert len(SHIPPED) > 50
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in SHIPPED
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if LOCAL_PATH.search(line)
    ]
    assert offenders == []
