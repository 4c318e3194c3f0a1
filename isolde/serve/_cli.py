"""``isolde serve [STORE_DIR]``: browse the runs of a store directory in a browser."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._errors import BadInput, UsageError

DEFAULT_PORT = 8737
log = logging.getLogger("isolde")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="browse the runs of a store directory (read-only)",
                       description="Serve a table of the runs in STORE_DIR with their reports, "
                       "histories and results, read-only, on 127.0.0.1 unless --host says "
                       "otherwise.")
    p.add_argument("store_dir", nargs="?", type=Path, default=Path("store"), metavar="STORE_DIR",
                   help="the runs directory (default ./store)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (anything but loopback is reachable by others, and "
                        "warned about)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help="port (0 picks a free one)")


def _port(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {s!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535, got {v}")
    return v


def run(a: argparse.Namespace, say: Callable[[str], None]) -> int:
    """Serve until interrupted; a missing directory or a busy port is bad input (exit 254)."""
    if not a.store_dir.is_dir():
        raise BadInput("not a directory (give the --store-dir of your runs)", str(a.store_dir))
    try:
        from ._app import make_app
    except ImportError:
        raise UsageError("isolde serve needs aiohttp: pip install -e '.[serve]'") from None
    if not _loopback(a.host):
        log.warning("serving on %s: anyone who can reach this machine can read these runs",
                    a.host)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server is stopped
        asyncio.run(_serve(make_app(a.store_dir), a.host, a.port, a.store_dir, say))
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _serve(app: Any, host: str, port: int, store_dir: Path,
                 say: Callable[[str], None]) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as e:
            raise BadInput(f"cannot listen there ({e.strerror})", f"{host}:{port}") from None
        bound = runner.addresses[0][1] if runner.addresses else port
        say(f"serving {store_dir} at http://{host}:{bound}/ (read-only; Ctrl-C to stop)")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
