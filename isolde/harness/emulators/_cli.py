"""``isolde emulator``: install, list and start the emulators isolde manages."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

from ._cache import emulators_dir
from ._catalog import EMULATORS, MOTO_DESCRIPTION, get_spec, moto_installed
from ._running import make_emulator

NAMES = (*EMULATORS, "moto")


def add_parser(sub: Any) -> None:
    e = sub.add_parser("emulator", help="install, list or start local DynamoDB emulators")
    esub = e.add_subparsers(dest="emulator_command", required=True, parser_class=type(e))
    i = esub.add_parser("install", help="download an emulator into the user cache")
    i.add_argument("names", nargs="+", choices=[*EMULATORS, "all"], metavar="NAME",
                   help=f"{' | '.join(EMULATORS)} | all")
    esub.add_parser("list", help="the emulators and whether they are installed")
    s = esub.add_parser("start", help="run an emulator on 127.0.0.1 until Ctrl-C")
    s.add_argument("name", choices=NAMES, metavar="NAME", help=" | ".join(NAMES))
    s.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    s.add_argument("--data-dir", type=Path, default=None,
                   help="keep data in this directory (DynamoDB Local, dynalite)")


def run(a: argparse.Namespace, say: Any) -> int:
    if a.emulator_command == "install":
        names = list(EMULATORS) if "all" in a.names else a.names
        for name in dict.fromkeys(names):
            path = get_spec(name).install()
            say(f"{name}: installed in {path}")
        return 0
    if a.emulator_command == "list":
        say(f"cache: {emulators_dir()}")
        for name, spec in EMULATORS.items():
            state = "installed" if spec.installed() else "not installed"
            say(f"{name:15} {state:14} {spec.description}")
        say(f"{'moto':15} {'installed' if moto_installed() else 'not installed':14} "
            f"{MOTO_DESCRIPTION}")
        return 0
    return asyncio.run(_serve(a, say))


def paste_line(host: str, port: int) -> str:
    """The command that runs isolde against an emulator someone else started: the cloud audit's
    path with dummy credentials (an emulator accepts any) and a region (the SDK wants one)."""
    return (f"AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x isolde run --store dynamodb "
            f"--endpoint-url http://{host}:{port} --region us-east-1 --yes")


async def _serve(a: argparse.Namespace, say: Any) -> int:
    emu = make_emulator(a.name, port=a.port, data_dir=a.data_dir)
    host, port = await emu.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    say(f"{a.name} ready at http://{host}:{port} (Ctrl-C stops it); test it with:")
    say(f"  {paste_line(host, port)}")
    try:
        waiter = asyncio.create_task(stop.wait())
        while not stop.is_set():
            pc = emu.process_control
            if pc is not None and not pc.running:
                say(f"{a.name} exited")
                return 1
            await asyncio.wait([waiter], timeout=0.5)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await emu.stop()
    say(f"{a.name} stopped")
    return 0
