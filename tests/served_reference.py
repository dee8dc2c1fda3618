"""``reference-backend serve`` in its own process with its output in a file, for tests that
hammer it (fuzz, soak) and then read what it logged: a pipe nobody drains would block a server
that logs many errors, and a file can be searched for tracebacks afterwards."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import _stop_group, _wait_until_healthy, free_port


@dataclass(frozen=True)
class ServedReference:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def served_reference_backend(workdir: Path, name: str) -> Iterator[ServedReference]:
    """Serve ``memory://name`` on a free port; yield once ``/health`` answers; stop the group."""
    port = free_port()
    log_path = workdir / f"reference-backend-{port}.log"
    with log_path.open("wb") as log:
        command = ["-m", "reference_backend", "serve", "--port", str(port), "--name", name]
        process = subprocess.Popen(
            [sys.executable, *command, "--quiet"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url, process, log_path, what="reference-backend serve")
            yield ServedReference(url, process, log_path)
        finally:
            _stop_group(process)
