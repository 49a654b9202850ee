"""Run the service: ``udbudsregler serve POLICY... [--host H] [--port P]``."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from udbudsregler.loader import Limits

__all__ = ["serve"]


def serve(paths: Sequence[Path], *, host: str = "127.0.0.1", port: int = 8000,
          reload_interval: float = 1.0, out: TextIO, log_level: str = "warning",
          limits: Limits | None = None) -> None:
    """Load the policies (a PolicyError if any has mistakes), bind ``host:port`` (port 0:
    any free port), print the address, and serve until interrupted."""
    import uvicorn

    from udbudsregler.service.app import create_app
    from udbudsregler.service.registry import PolicyRegistry

    def log(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    registry = PolicyRegistry(paths, log=log, limits=limits)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    log(f"serving {', '.join(registry.ids())} on http://{shown}:{bound} "
        f"(reload: {'every ' + str(reload_interval) + ' s' if reload_interval > 0 else 'off'})")
    registry.watch(reload_interval)
    config = uvicorn.Config(create_app(registry), log_level=log_level, access_log=False,
                            lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        registry.close()
        sock.close()
