"""Process faults on managed emulators: kill -9 then restart, and SIGSTOP / SIGCONT.

They drive the store's ``process_control`` (the ``ProcessControl`` protocol: ``kill()``,
``async restart()``, ``pause()``, ``resume()``). moto runs as a thread inside isolde, so its
"kill" is :class:`MotoControl`: its state is wiped (``/moto-api/reset``, what a kill -9 of a
memory-only server loses) and its server stopped; the restart serves again on the same port.
An in-memory emulator loses every write on kill — the checkers then report lost writes; the
persistent modes (DynamoDB Local ``-dbPath``, dynalite ``--path``) keep them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import urllib.request
from typing import Any

from ..harness._store import ProcessControl
from ._base import BaseFault, NemesisOptions, Unsupported

log = logging.getLogger("isolde.nemesis")


class MotoControl:
    """kill / restart for moto's in-process server (no pause: a thread cannot be stopped)."""

    persistent = False  # a reset wipes everything

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator

    def kill(self) -> None:
        ep = self.emulator.endpoint
        if ep is None:
            return
        req = urllib.request.Request(f"http://{ep[0]}:{ep[1]}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=5):  # the emulator, on loopback
            pass
        self.emulator.server.stop()
        self.emulator.server = None

    async def restart(self) -> None:
        if self.emulator.server is None:
            await self.emulator.start()  # its port is kept: clients and proxy find it again

    def pause(self) -> None:
        raise Unsupported("moto runs as a thread inside isolde: it cannot be paused")

    def resume(self) -> None:
        return None


def managed_emulator(store: Any) -> str:
    """The emulator a store starts itself ("" when it has none: a cloud or external endpoint)."""
    return str(getattr(store, "emulator_name", "") or "")


def process_control(store: Any) -> ProcessControl | None:
    pc = getattr(store, "process_control", None)
    if pc is not None:
        return pc
    emu = getattr(store, "emulator", None)
    if emu is not None and getattr(emu, "name", "") == "moto":
        return MotoControl(emu)
    return None


def _control(store: Any) -> ProcessControl:
    pc = process_control(store)
    if pc is None:
        raise RuntimeError(f"store {store.name!r} has no process running (set up?)")
    return pc


class Kill:
    """kill -9 at start; restart (same port, same data directory) at stop."""

    name = "kill"

    def __init__(self, store: Any, options: NemesisOptions) -> None:
        if not managed_emulator(store):
            raise Unsupported(f"store {store.name!r} runs no process isolde manages "
                              "(kill needs a managed emulator: dynamodb-local, dynalite, moto)")
        self.store = store
        self.killed = False

    async def start(self, rng: random.Random) -> Any:
        pc = _control(self.store)
        await asyncio.to_thread(pc.kill)  # reaping (or moto's shutdown) blocks briefly
        self.killed = True
        return {"killed": [managed_emulator(self.store)],
                "persistent": bool(getattr(getattr(self.store, "options", None),
                                           "persistent", False))}

    async def stop(self) -> Any:
        if not self.killed:
            return {"restarted": []}
        pc = _control(self.store)
        await pc.restart()
        self.killed = False
        after = getattr(self.store, "after_restart", None)
        if after is not None:  # e.g. recreate the table an in-memory emulator lost
            res = after()
            if inspect.isawaitable(res):
                await res
        return {"restarted": [managed_emulator(self.store)]}

    def heal_now(self) -> None:
        # A process cannot be restarted synchronously; the store's teardown stops it anyway.
        if self.killed:
            log.warning("%s left killed at teardown", managed_emulator(self.store))


class Pause(BaseFault):
    """SIGSTOP at start (the process keeps its sockets, answers nothing); SIGCONT at stop."""

    name = "pause"

    def __init__(self, store: Any, options: NemesisOptions) -> None:
        emu = managed_emulator(store)
        if not emu:
            raise Unsupported(f"store {store.name!r} runs no process isolde manages "
                              "(pause needs a managed emulator: dynamodb-local, dynalite)")
        if emu == "moto":
            raise Unsupported("moto runs as a thread inside isolde: it cannot be paused")
        self.store = store
        self.paused = False

    async def start(self, rng: random.Random) -> Any:
        _control(self.store).pause()
        self.paused = True
        return {"paused": [managed_emulator(self.store)]}

    def stop_value(self) -> Any:
        return {"resumed": [managed_emulator(self.store)]}

    def heal_now(self) -> None:
        if self.paused:
            pc = process_control(self.store)
            if pc is not None:
                pc.resume()
            self.paused = False
