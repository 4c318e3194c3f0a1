"""Running emulators: start one, know its endpoint, stop it (and remove what it made).

:class:`ProcessEmulator` runs an installed emulator as a :class:`ManagedProcess`, which is also
its ``process_control`` (kill / restart / pause / resume for the nemesis).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from .._plugin import Emulator
from ._catalog import EmulatorSpec, get_recipe
from ._process import EmulatorError, ManagedProcess

log = logging.getLogger("isolde.emulators")


class ProcessEmulator:
    """An installed emulator started on 127.0.0.1. ``persistent``: data in a directory that
    survives ``kill`` (``data_dir``, or one made in the log directory and removed by ``stop``)."""

    def __init__(self, spec: EmulatorSpec, port: int | None = None, persistent: bool = False,
                 data_dir: Path | None = None, log_dir: Path | None = None) -> None:
        if (persistent or data_dir is not None) and not spec.persistent:
            raise EmulatorError(f"{spec.name} has no persistent mode")
        self.spec = spec
        self.name = spec.name
        self.persistent = persistent or data_dir is not None
        self._own_data = self.persistent and data_dir is None
        self.data_dir = data_dir
        self._own_log_dir = log_dir is None
        self.log_dir = log_dir
        self.port = port
        self.process: ManagedProcess | None = None

    @property
    def endpoint(self) -> tuple[str, int] | None:
        return self.process.endpoint if self.process is not None else None

    @property
    def process_control(self) -> ManagedProcess | None:
        return self.process

    async def start(self) -> tuple[str, int]:
        if self.process is not None and self.process.running:
            assert self.process.endpoint is not None
            return self.process.endpoint
        self.spec.require_installed()
        if self.log_dir is None:
            self.log_dir = Path(tempfile.mkdtemp(prefix=f"isolde-{self.name}-log-"))
        if self._own_data and self.data_dir is None:
            # Beside the log (the run directory, in a run): a kill -9 of isolde leaves it
            # inside the run, not in /tmp.
            self.data_dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-data-", dir=self.log_dir))
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        data = self.data_dir
        self.process = ManagedProcess(
            self.name, lambda port: self.spec.argv(port, data), self.log_dir / f"{self.name}.log",
            port=self.port, persistent=self.persistent, env=self.spec.env or None,
        )
        await self.process.start()
        assert self.process.endpoint is not None
        return self.process.endpoint

    async def stop(self) -> None:
        if self.process is not None:
            await self.process.stop()
        if self._own_data and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None
        if self._own_log_dir and self.log_dir is not None:
            shutil.rmtree(self.log_dir, ignore_errors=True)
            self.log_dir = None


def make_emulator(name: str, port: int | None = None, persistent: bool = False,
                  data_dir: Path | None = None, log_dir: Path | None = None) -> Emulator:
    """An emulator by its recipe's name (not started)."""
    return get_recipe(name).make(port, data_dir, log_dir, persistent)
