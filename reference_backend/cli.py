"""``reference-backend`` command: serve an in-memory MLflow registry over HTTP.

Exit codes: 0 after a clean stop (Ctrl-C or SIGTERM), 2 when the server cannot start (busy
port, bad arguments). Output is meant for scripts: one ready line on stdout, flushed, and
one-line errors on stderr without tracebacks.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
from types import FrameType

from reference_backend.emulations import EMULATIONS

EXIT_CANNOT_START = 2


class _Stop(Exception):
    """Raised from a signal handler to leave the serving loop in the main thread."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signum)


def _instance_name(value: str) -> str:
    # Checked without importing MLflow: argparse converts the default too, and a busy port
    # must be reported before anything slow happens.
    if value and all(c.isalnum() or c in "-_." for c in value):
        return value
    raise argparse.ArgumentTypeError(f"{value!r}: use letters, digits, '-', '_' and '.'")


def _emulations_help() -> str:
    lines = [
        "emulations: known platforms' restrictions (in-process: memory://NAME?emulate=EMULATION)"
    ]
    for emulation in EMULATIONS.values():
        lines += textwrap.wrap(
            emulation.summary, 78, initial_indent=f"  {emulation.name}: ", subsequent_indent="    "
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reference-backend", description="In-memory MLflow model registry and tracking."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve memory://NAME over HTTP with MLflow's REST API",
        description="Serve memory://NAME over HTTP with MLflow's REST API.",
        epilog=_emulations_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    serve.add_argument("--port", type=int, default=5000, help="TCP port (default: %(default)s)")
    serve.add_argument(
        "--name", type=_instance_name, default="default", help="instance (default: %(default)s)"
    )
    serve.add_argument(
        "--emulate",
        choices=list(EMULATIONS),
        metavar="EMULATION",
        help="emulate a platform's restrictions (default: none; see below)",
    )
    serve.add_argument("--quiet", action="store_true", help="no per-request access log")
    return parser


def _serve(args: argparse.Namespace) -> int:
    # Installed first, so a stop during the slow start-up is as clean as one while serving.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        return _run(args)
    except _Stop as stop:
        print(f"reference-backend: stopped by {stop}", flush=True)
        return 0


def _run(args: argparse.Namespace) -> int:
    from reference_backend.plugin import UnsupportedMlflow, check_mlflow
    from reference_backend.ports import PortInUseError, listen

    try:
        check_mlflow()
    except UnsupportedMlflow as e:
        print(f"reference-backend: {e}", file=sys.stderr)
        return EXIT_CANNOT_START

    try:
        sock = listen(args.host, args.port)
    except OSError as e:
        reason = e.strerror if isinstance(e, PortInUseError) else f"cannot listen: {e}"
        print(f"reference-backend: {reason}", file=sys.stderr)
        return EXIT_CANNOT_START

    import mlflow

    from reference_backend import server
    from reference_backend.instances import drop_instance

    instance = server.open_instance(args.name, args.emulate)
    os.environ.update(server.server_environment(instance))
    # Like `mlflow server`: code inside the server that resolves URIs finds this instance.
    mlflow.set_tracking_uri(instance.uri)
    mlflow.set_registry_uri(instance.uri)
    serving = server.bind(instance, sock, access_log=not args.quiet)
    try:
        print(serving.ready_message, flush=True)
        serving.server.serve_forever()
    finally:
        serving.server.server_close()
        drop_instance(instance.uri)  # its temp folder goes now, not at interpreter exit
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return _serve(args)
