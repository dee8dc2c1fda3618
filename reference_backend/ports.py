"""Claim a listening socket before anything slow happens.

Binding first makes a busy port a clean, immediate error: werkzeug would print two lines and
call ``sys.exit`` itself, and only after MLflow's server modules (seconds) had been imported.
"""

from __future__ import annotations

import errno
import socket


class PortInUseError(OSError):
    """The requested port already has a listener."""

    def __init__(self, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} is already in use; pass --port")


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening (``port`` 0 picks a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(socket.SOMAXCONN)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise PortInUseError(port) from e
        raise
    return sock
