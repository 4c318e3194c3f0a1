"""``isolde emulator``: install, list and start the emulators of the stores."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

from ._cache import emulators_dir
from ._catalog import get_recipe, recipes
from ._process import EmulatorError


def add_parser(sub: Any) -> None:
    e = sub.add_parser("emulator", help="install, list or start the stores' local emulators")
    esub = e.add_subparsers(dest="emulator_command", required=True, parser_class=type(e))
    i = esub.add_parser("install", help="download an emulator into the user cache")
    i.add_argument("names", nargs="+", metavar="NAME",
                   help="an emulator's name (see `isolde emulator list`), or all")
    esub.add_parser("list", help="the emulators and whether they are installed")
    s = esub.add_parser("start", help="run an emulator on 127.0.0.1 until Ctrl-C")
    s.add_argument("name", metavar="NAME", help="an emulator's name (see `isolde emulator list`)")
    s.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    s.add_argument("--data-dir", type=Path, default=None,
                   help="keep data in this directory (emulators with a persistent mode)")


def run(a: argparse.Namespace, say: Any) -> int:
    if a.emulator_command == "install":
        if "all" in a.names:
            return _install_all(say)
        for name in dict.fromkeys(a.names):
            path = get_recipe(name).install()
            say(f"{name}: installed in {path}")
        return 0
    if a.emulator_command == "list":
        say(f"cache: {emulators_dir()}")
        for name, recipe in sorted(recipes().items()):
            say(f"{name:15} {recipe.description}\n{'':15} {recipe.status()}")
        return 0
    return asyncio.run(_serve(a, say))


def _install_all(say: Any) -> int:
    """Install every emulator not yet installed; one that isolde cannot install (a pip extra,
    or one it can only locate) says how to get it. Exit 1 if any is still missing."""
    missing = 0
    for name, recipe in sorted(recipes().items()):
        if recipe.installed():
            say(f"{name}: {recipe.status()}")
            continue
        try:
            say(f"{name}: installed in {recipe.install()}")
        except EmulatorError as e:
            say(f"{name}: not installed: {e}")
            missing += 1
    return 1 if missing else 0


async def _serve(a: argparse.Namespace, say: Any) -> int:
    recipe = get_recipe(a.name)
    emu = recipe.make(port=a.port, data_dir=a.data_dir)
    host, port = await emu.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    say(f"{a.name} ready at http://{host}:{port} (Ctrl-C stops it); test it with:")
    say(f"  {recipe.paste_line(host, port)}")
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
