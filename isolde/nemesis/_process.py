"""Process faults on stores that run a server of their own (the :class:`isolde.harness.Managed`
protocol): kill -9 then restart, and SIGSTOP / SIGCONT, through the store's ``process_control``
(the ``ProcessControl`` protocol: ``kill()``, ``async restart()``, ``pause()``, ``resume()``).
An in-memory server loses every write on kill — the checkers then report lost writes; a
persistent one keeps them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from ..harness import Managed, ProcessControl, Store
from ._base import BaseFault, NemesisOptions, Unsupported

log = logging.getLogger("isolde.nemesis")


def managed(store: Store, fault: str) -> Managed:
    if not isinstance(store, Managed):
        raise Unsupported(f"store {store.name!r} runs no process isolde manages ({fault} needs "
                          "a store that starts its own server)")
    return store


def _control(store: Managed) -> ProcessControl:
    pc = store.process_control
    if pc is None:
        raise RuntimeError(f"store {store.process_name!r} has no process running (set up?)")
    return pc


class Kill:
    """kill -9 at start; restart (same port, same data directory) at stop."""

    name = "kill"

    def __init__(self, store: Store, options: NemesisOptions) -> None:
        self.store = managed(store, "kill")
        self.killed = False

    async def start(self, rng: random.Random) -> Any:
        pc = _control(self.store)
        await asyncio.to_thread(pc.kill)  # reaping (or an in-process server's shutdown) blocks
        self.killed = True
        return {"killed": [self.store.process_name], "persistent": pc.persistent}

    async def stop(self) -> Any:
        if not self.killed:
            return {"restarted": []}
        pc = _control(self.store)
        await pc.restart()
        self.killed = False
        await self.store.after_restart()  # e.g. recreate the table an in-memory server lost
        return {"restarted": [self.store.process_name]}

    def heal_now(self) -> None:
        # A process cannot be restarted synchronously; the store's teardown stops it anyway.
        if self.killed:
            log.warning("%s left killed at teardown", self.store.process_name)


class Pause(BaseFault):
    """SIGSTOP at start (the process keeps its sockets, answers nothing); SIGCONT at stop."""

    name = "pause"

    def __init__(self, store: Store, options: NemesisOptions) -> None:
        self.store = managed(store, "pause")
        if not self.store.pausable:
            raise Unsupported(f"{self.store.process_name} runs inside isolde: it cannot be "
                              "paused")
        self.paused = False

    async def start(self, rng: random.Random) -> Any:
        _control(self.store).pause()
        self.paused = True
        return {"paused": [self.store.process_name]}

    def stop_value(self) -> Any:
        return {"resumed": [self.store.process_name]}

    def heal_now(self) -> None:
        if self.paused:
            pc = self.store.process_control
            if pc is not None:
                pc.resume()
            self.paused = False
